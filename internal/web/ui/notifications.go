package ui

import (
	"net/http"
	"strconv"

	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"

	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/web/respond"
)

type notificationsPage struct {
	Base
	Items      []notify.Notification
	UnreadOnly bool
	Next       int64
}

// Notifications shows the user's inbox: reminders and alerts addressed to
// them or to the units in their scope.
func (h *Handler) Notifications(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	unread := r.URL.Query().Get("unread") == "1"
	const limit = 100
	var before int64
	if q := r.URL.Query().Get("before"); q != "" {
		before = parseID(q)
	}
	list, err := h.Notify.Inbox(r.Context(), p, unread, before, limit)
	if err != nil {
		return err
	}
	v := notificationsPage{Base: h.base(w, r, "notif.title", "notifications"), Items: list, UnreadOnly: unread}
	if len(list) == limit {
		v.Next = list[len(list)-1].ID
	}
	return h.render(w, r, http.StatusOK, "notifications", v)
}

// OpenNotification marks a notification read and follows its link.
func (h *Handler) OpenNotification(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Notify.MarkRead(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	to := "/notifications"
	if n.Link != "" && n.Link[0] == '/' && (len(n.Link) < 2 || n.Link[1] != '/') {
		to = n.Link
	}
	return h.redirect(w, r, to, "", "")
}

// ReadAllNotifications marks the whole inbox read.
func (h *Handler) ReadAllNotifications(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Notify.MarkAllRead(r.Context(), respond.Principal(r)); err != nil {
		return err
	}
	return h.redirect(w, r, "/notifications", "ok", "notif.all_read")
}

type channelsPage struct {
	Base
	Channels   []channelRow
	Kinds      []notify.ChannelKind
	Severities []notify.Severity
	Units      []unit.Node
	Systems    []system.System
}

type channelRow struct {
	notify.ChannelConfig
	UnitName, SystemName string
}

// Channels lists and configures the outbound notification channels.
func (h *Handler) Channels(w http.ResponseWriter, r *http.Request) error {
	return h.channelsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	list, err := h.Notify.Channels(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	v := channelsPage{Base: h.base(w, r, "notif.channels", "notifications"), Kinds: notify.ChannelKinds,
		Severities: notify.Severities}
	if v.Units, err = h.Units.List(r.Context(), p); err != nil {
		return err
	}
	if v.Systems, err = h.Systems.List(r.Context(), p, system.Filter{}); err != nil {
		return err
	}
	unitName, systemName := h.names(r)
	for _, c := range list {
		v.Channels = append(v.Channels, channelRow{ChannelConfig: c, UnitName: unitName(c.UnitID), SystemName: systemName(c.SystemID)})
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "channels", v)
}

// SaveChannel creates a channel.
func (h *Handler) SaveChannel(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c := notify.ChannelConfig{Kind: notify.ChannelKind(r.PostFormValue("kind")), Name: r.PostFormValue("name"),
		UnitID: max(parseID(r.PostFormValue("unit_id")), 0), Config: r.PostFormValue("config"), Secret: r.PostFormValue("secret"),
		Enabled: r.PostFormValue("enabled") == "on", MinSeverity: notify.Severity(r.PostFormValue("min_severity")),
		SystemID: max(parseID(r.PostFormValue("system_id")), 0)}
	if v := r.PostFormValue("rate_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // refused by Validate
		}
		c.RateLimit = n
	}
	if _, err := h.Notify.SaveChannel(r.Context(), respond.Principal(r), c); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.channelsPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/notifications/channels", "ok", "common.saved")
}

// DeleteChannel removes a channel.
func (h *Handler) DeleteChannel(w http.ResponseWriter, r *http.Request) error {
	if err := h.Notify.DeleteChannel(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/notifications/channels", "ok", "notif.channel_deleted")
}

// TestChannel sends a test message on a channel and says how it went.
func (h *Handler) TestChannel(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	if err := h.Notify.TestChannel(r.Context(), respond.Principal(r), id); err != nil {
		h.Logger.Warn("test notification channel", "channel", id, "err", err)
		return h.channelsPage(w, r, http.StatusOK, &Flash{Kind: "error",
			Text: h.Translate(r, "notif.test_failed", strconv.FormatInt(id, 10), err.Error())})
	}
	return h.redirect(w, r, "/notifications/channels", "ok", "notif.test_sent")
}

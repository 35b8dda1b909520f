package notify_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
)

// memStore is an in-memory notify.Store for the service tests. It keeps
// what the service relies on (dedupe, channels, the delivery log and its
// unique attempts); the storage conformance suite specifies the rest.
type memStore struct {
	mu       sync.Mutex
	notes    []notify.Notification
	channels []notify.ChannelConfig
	log      []notify.Delivery
	reads    map[[2]int64]time.Time
	nextID   int64
	failList error // returned by ListChannels when set
}

var _ notify.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{reads: map[[2]int64]time.Time{}} }

func (m *memStore) id() int64 { m.nextID++; return m.nextID }

func (m *memStore) CreateNotification(_ context.Context, n *notify.Notification) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n.UserID == 0 && n.UnitID == 0 {
		return false, errs.ErrInvalid
	}
	if n.DedupeKey != "" {
		for _, o := range m.notes {
			if o.DedupeKey == n.DedupeKey {
				*n = o
				return false, nil
			}
		}
	}
	n.ID, n.ReadAt = m.id(), time.Time{}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now()
	}
	n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
	m.notes = append(m.notes, *n)
	return true, nil
}

func (m *memStore) GetNotification(_ context.Context, id int64) (notify.Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.notes {
		if n.ID == id {
			return n, nil
		}
	}
	return notify.Notification{}, errs.NotFound("notification", id)
}

func (m *memStore) visible(n notify.Notification, f notify.Filter) bool {
	if n.UserID != 0 {
		return n.UserID == f.UserID
	}
	return f.Units == nil || slices.Contains(f.Units, n.UnitID)
}

func (m *memStore) ListNotifications(_ context.Context, f notify.Filter) ([]notify.Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []notify.Notification
	for _, n := range slices.Backward(m.notes) {
		if !m.visible(n, f) || f.BeforeID > 0 && n.ID >= f.BeforeID {
			continue
		}
		n.ReadAt = m.reads[[2]int64{n.ID, f.UserID}]
		if f.UnreadOnly && !n.ReadAt.IsZero() {
			continue
		}
		out = append(out, n)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func (m *memStore) MarkNotificationRead(_ context.Context, id, userID int64, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]int64{id, userID}
	if _, ok := m.reads[k]; !ok {
		m.reads[k] = at
	}
	return nil
}

func (m *memStore) MarkAllRead(ctx context.Context, f notify.Filter, at time.Time) (int, error) {
	f.Limit, f.UnreadOnly = 0, true
	list, _ := m.ListNotifications(ctx, f)
	for _, n := range list {
		_ = m.MarkNotificationRead(ctx, n.ID, f.UserID, at)
	}
	return len(list), nil
}

func (m *memStore) CountUnread(ctx context.Context, f notify.Filter) (int, error) {
	f.Limit, f.UnreadOnly = 0, true
	list, _ := m.ListNotifications(ctx, f)
	return len(list), nil
}

func (m *memStore) CreateChannel(_ context.Context, c *notify.ChannelConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.ID = m.id()
	m.channels = append(m.channels, *c)
	return nil
}

func (m *memStore) GetChannel(_ context.Context, id int64) (notify.ChannelConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.channels {
		if c.ID == id {
			return c, nil
		}
	}
	return notify.ChannelConfig{}, errs.NotFound("notification channel", id)
}

func (m *memStore) ListChannels(context.Context) ([]notify.ChannelConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failList != nil {
		return nil, m.failList
	}
	return slices.Clone(m.channels), nil
}

func (m *memStore) UpdateChannel(_ context.Context, c *notify.ChannelConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.channels {
		if m.channels[i].ID == c.ID {
			m.channels[i] = *c
			return nil
		}
	}
	return errs.NotFound("notification channel", c.ID)
}

func (m *memStore) DeleteChannel(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.channels = slices.DeleteFunc(m.channels, func(c notify.ChannelConfig) bool { return c.ID == id })
	m.log = slices.DeleteFunc(m.log, func(d notify.Delivery) bool { return d.ChannelID == id })
	return nil
}

func (m *memStore) RecordDelivery(_ context.Context, d *notify.Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.log {
		if o.ChannelID == d.ChannelID && o.NotificationID == d.NotificationID && o.Attempt == d.Attempt {
			return errs.ErrConflict
		}
	}
	d.ID = m.id()
	m.log = append(m.log, *d)
	return nil
}

func (m *memStore) ListDeliveries(_ context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []notify.Delivery
	for _, d := range m.log {
		if f.ChannelID != 0 && d.ChannelID != f.ChannelID || f.NotificationID != 0 && d.NotificationID != f.NotificationID ||
			!f.Since.IsZero() && d.At.Before(f.Since) || f.FailedOnly && d.OK {
			continue
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b notify.Delivery) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// deliveries returns the log oldest first.
func (m *memStore) deliveries() []notify.Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

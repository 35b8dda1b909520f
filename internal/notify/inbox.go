package notify

import (
	"context"
	"fmt"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// inboxFilter is the filter of p's inbox: notifications addressed to p and
// those of the units in p's scope.
func inboxFilter(p *authz.Principal) Filter {
	f := Filter{UserID: p.UserID}
	if !p.All {
		f.Units = p.ScopeList()
	}
	return f
}

// Inbox lists p's notifications, newest first: addressed to p, or to a
// unit in p's scope.
func (s *Service) Inbox(ctx context.Context, p *authz.Principal, unreadOnly bool, before int64, limit int) ([]Notification, error) {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return nil, err
	}
	f := inboxFilter(p)
	f.UnreadOnly, f.BeforeID, f.Limit = unreadOnly, before, limit
	return s.store.ListNotifications(ctx, f)
}

// Unread counts p's unread notifications.
func (s *Service) Unread(ctx context.Context, p *authz.Principal) (int, error) {
	if p == nil || p.UserID == 0 {
		return 0, nil
	}
	f := inboxFilter(p)
	f.UnreadOnly = true
	return s.store.CountUnread(ctx, f)
}

// MarkRead marks a notification p may see as read by p.
func (s *Service) MarkRead(ctx context.Context, p *authz.Principal, id int64) (Notification, error) {
	n, err := s.store.GetNotification(ctx, id)
	if err != nil {
		return Notification{}, err
	}
	visible := n.UserID == p.UserID || (n.UserID == 0 && n.UnitID != 0 && p.InScope(n.UnitID))
	if !visible {
		return Notification{}, errs.NotFound("notification", id)
	}
	return n, s.store.MarkNotificationRead(ctx, id, p.UserID, s.now().UTC())
}

// MarkAllRead marks every notification in p's inbox as read by p.
func (s *Service) MarkAllRead(ctx context.Context, p *authz.Principal) (int, error) {
	return s.store.MarkAllRead(ctx, inboxFilter(p), s.now().UTC())
}

// Channels lists the outbound channels (permission notify.manage on the whole organisation).
func (s *Service) Channels(ctx context.Context, p *authz.Principal) ([]ChannelConfig, error) {
	if err := p.AuthorizeGlobal(authz.PermNotifyManage); err != nil {
		return nil, err
	}
	return s.store.ListChannels(ctx)
}

// SaveChannel creates (ID 0) or replaces a channel after validating it.
// An empty Secret on update keeps the stored one.
func (s *Service) SaveChannel(ctx context.Context, p *authz.Principal, c ChannelConfig) (ChannelConfig, error) {
	if err := p.AuthorizeGlobal(authz.PermNotifyManage); err != nil {
		return ChannelConfig{}, err
	}
	if c.ID != 0 && c.Secret == "" {
		old, err := s.store.GetChannel(ctx, c.ID)
		if err != nil {
			return ChannelConfig{}, err
		}
		c.Secret = old.Secret
	}
	if err := c.Validate(); err != nil {
		return ChannelConfig{}, err
	}
	if _, err := NewChannel(c, ChannelOptions{}); err != nil {
		return ChannelConfig{}, err
	}
	now := s.now().UTC()
	c.UpdatedAt = now
	if c.ID == 0 {
		c.CreatedAt = now
		return c, s.store.CreateChannel(ctx, &c)
	}
	return c, s.store.UpdateChannel(ctx, &c)
}

// DeleteChannel removes a channel.
func (s *Service) DeleteChannel(ctx context.Context, p *authz.Principal, id int64) error {
	if err := p.AuthorizeGlobal(authz.PermNotifyManage); err != nil {
		return err
	}
	return s.store.DeleteChannel(ctx, id)
}

// TestChannel sends a test message on a channel.
func (s *Service) TestChannel(ctx context.Context, p *authz.Principal, id int64) error {
	if err := p.AuthorizeGlobal(authz.PermNotifyManage); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.SendTest(ctx, id); err != nil {
		return fmt.Errorf("test channel %d: %w", id, err)
	}
	return nil
}

package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
)

// Defaults of Options.
const (
	DefaultMaxAttempts   = 5
	DefaultRetryWindow   = 7 * 24 * time.Hour
	DefaultRetryInterval = time.Minute
	recordTimeout        = 10 * time.Second
)

// DefaultBackoff is the wait after failed attempt n before attempt n+1:
// 1 minute, 4, 16, 64, then at most 6 hours.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 4
	}
	return min(d, 6*time.Hour)
}

// Options configure a Service.
type Options struct {
	// Logger receives delivery failures; nil discards them.
	Logger *slog.Logger
	// Channel is given to NewChannel for every channel the service builds.
	Channel ChannelOptions
	// NewChannel builds a channel from its stored form; nil: NewChannel
	// with Channel. Tests replace it.
	NewChannel func(ChannelConfig) (Channel, error)
	// Covers reports whether a channel scoped to unit scope carries the
	// notifications of unit (the app answers from the unit tree, so that a
	// channel covers the unit's descendants). nil: scope == unit.
	Covers func(ctx context.Context, scope, unit int64) (bool, error)
	// MaxAttempts bounds the attempts per channel and notification
	// (default DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (default DefaultBackoff).
	Backoff func(attempt int) time.Duration
	// RetryWindow is how far back RetryFailed looks for failed attempts
	// (default DefaultRetryWindow); older failures stay in the log as
	// failed and are not retried.
	RetryWindow time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service stores notifications and delivers them on the outbound
// channels. Its methods are safe for concurrent use.
type Service struct {
	store       Store
	logger      *slog.Logger
	newChannel  func(ChannelConfig) (Channel, error)
	covers      func(ctx context.Context, scope, unit int64) (bool, error)
	maxAttempts int
	backoff     func(int) time.Duration
	window      time.Duration
	now         func() time.Time
	limiter     limiter
}

// New returns a Service over store.
func New(store Store, o Options) *Service {
	s := &Service{store: store, logger: o.Logger, newChannel: o.NewChannel, covers: o.Covers,
		maxAttempts: o.MaxAttempts, backoff: o.Backoff, window: o.RetryWindow, now: o.Now}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.logger = s.logger.With("component", "notify")
	if s.newChannel == nil {
		co := o.Channel
		s.newChannel = func(c ChannelConfig) (Channel, error) { return NewChannel(c, co) }
	}
	if s.covers == nil {
		s.covers = func(_ context.Context, scope, unit int64) (bool, error) { return scope == unit, nil }
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	if s.backoff == nil {
		s.backoff = DefaultBackoff
	}
	if s.window <= 0 {
		s.window = DefaultRetryWindow
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Notify validates and stores n (writing the stored form back to it) and,
// if it is new, makes the first delivery attempt on every enabled channel
// that covers it, concurrently, recording each attempt. created is false
// when a notification with n's DedupeKey already existed; nothing is then
// sent again. Delivery failures are logged and recorded for RetryFailed;
// they never make Notify fail. Notify returns once every first attempt has
// ended (each is bounded by its channel's timeout); cancelling ctx ends
// them, and they are recorded as failed and retried later.
func (s *Service) Notify(ctx context.Context, n *Notification) (created bool, err error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = s.now()
	}
	created, err = s.store.CreateNotification(ctx, n)
	if err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	if !created {
		return false, nil
	}
	chans, err := s.channelsFor(ctx, *n)
	if err != nil {
		// The in-app notification stands; the outbound copies are lost, so say so loudly.
		s.logger.Error("cannot select notification channels", "notification_id", n.ID, "err", err)
		return true, nil
	}
	var wg sync.WaitGroup
	for _, c := range chans {
		wg.Go(func() { s.deliver(ctx, c, *n, 1) })
	}
	wg.Wait()
	return true, nil
}

// channelsFor returns the enabled channels that carry n.
func (s *Service) channelsFor(ctx context.Context, n Notification) ([]ChannelConfig, error) {
	all, err := s.store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChannelConfig
	for _, c := range all {
		if !c.Enabled || !n.Severity.AtLeast(c.MinSeverity) || c.SystemID != 0 && c.SystemID != n.SystemID {
			continue
		}
		if c.UnitID != 0 {
			if n.UnitID == 0 {
				continue
			}
			ok, err := s.covers(ctx, c.UnitID, n.UnitID)
			if err != nil {
				return nil, fmt.Errorf("channel %d scope: %w", c.ID, err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// deliver makes one attempt and records it. It reports whether it
// succeeded. A first attempt beyond the channel's rate limit is recorded
// as suppressed instead of sent.
func (s *Service) deliver(ctx context.Context, c ChannelConfig, n Notification, attempt int) bool {
	if attempt == 1 && !s.limiter.allow(c.ID, c.RateLimit, s.now()) {
		d := Delivery{ChannelID: c.ID, NotificationID: n.ID, Attempt: attempt, Suppressed: true, At: s.now(),
			Error: fmt.Sprintf("rate limit reached (%d per hour): not sent", c.RateLimit)}
		s.record(ctx, c, n, d)
		s.logger.Warn("notification suppressed by the channel's rate limit", "channel", c, "notification_id", n.ID, "rate_limit", c.RateLimit)
		return false
	}
	err := s.send(ctx, c, n)
	d := Delivery{ChannelID: c.ID, NotificationID: n.ID, Attempt: attempt, OK: err == nil, At: s.now()}
	if err != nil {
		d.Error = truncateRunes(err.Error(), maxErrorText)
	}
	s.record(ctx, c, n, d)
	switch {
	case err == nil:
		s.logger.Debug("notification delivered", "channel", c, "notification_id", n.ID, "attempt", attempt)
	case attempt >= s.maxAttempts:
		s.logger.Error("notification delivery given up", "channel", c, "notification_id", n.ID,
			"attempt", attempt, "err", d.Error)
	default:
		s.logger.Warn("notification delivery failed", "channel", c, "notification_id", n.ID,
			"attempt", attempt, "err", d.Error)
	}
	return err == nil
}

// record appends d to the delivery log, even when ctx has ended.
func (s *Service) record(ctx context.Context, c ChannelConfig, n Notification, d Delivery) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.store.RecordDelivery(rctx, &d); err != nil {
		s.logger.Error("cannot record notification delivery", "channel", c, "notification_id", n.ID,
			"attempt", d.Attempt, "ok", d.OK, "suppressed", d.Suppressed, "delivery_err", d.Error, "err", err)
	}
}

func (s *Service) send(ctx context.Context, c ChannelConfig, n Notification) error {
	ch, err := s.newChannel(c)
	if err != nil {
		return fmt.Errorf("build %s channel: %w", c.Kind, err)
	}
	return ch.Send(ctx, n)
}

// limiter counts, per channel, the first attempts made in the last hour
// (in this process).
type limiter struct {
	mu   sync.Mutex
	sent map[int64][]time.Time
}

// allow reports whether a channel with the given hourly limit (0: none)
// may send at now, and if so counts the sending.
func (l *limiter) allow(channel int64, limit int, now time.Time) bool {
	if limit <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent == nil {
		l.sent = make(map[int64][]time.Time)
	}
	times := l.sent[channel]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-time.Hour)) {
		cut++
	}
	times = times[cut:]
	if len(times) >= limit {
		l.sent[channel] = times
		return false
	}
	l.sent[channel] = append(times, now)
	return true
}

// RetryFailed makes the next attempt for every channel and notification
// whose latest attempt, made within the retry window, failed, when fewer
// than MaxAttempts were made and the backoff after the latest has passed.
// Channels since disabled or deleted are skipped. It returns how many
// attempts it made and stops early when ctx is done. The caller runs it
// periodically (Run does); run it on one node only, or two nodes may both
// send an attempt (the second record is then refused as a conflict).
func (s *Service) RetryFailed(ctx context.Context) (int, error) {
	now := s.now()
	ds, err := s.store.ListDeliveries(ctx, DeliveryFilter{Since: now.Add(-s.window)})
	if err != nil {
		return 0, fmt.Errorf("retry notifications: %w", err)
	}
	type pair struct{ channel, notification int64 }
	latest := map[pair]Delivery{}
	for _, d := range ds {
		p := pair{d.ChannelID, d.NotificationID}
		if cur, ok := latest[p]; !ok || d.Attempt > cur.Attempt {
			latest[p] = d
		}
	}
	var due []Delivery
	for _, d := range latest {
		if !d.OK && !d.Suppressed && d.Attempt < s.maxAttempts && !now.Before(d.At.Add(s.backoff(d.Attempt))) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b Delivery) int {
		return cmp.Or(cmp.Compare(a.NotificationID, b.NotificationID), cmp.Compare(a.ChannelID, b.ChannelID))
	})
	chans := map[int64]*ChannelConfig{} // nil: gone or disabled
	notes := map[int64]*Notification{}
	n := 0
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		c, ok := chans[d.ChannelID]
		if !ok {
			got, err := s.store.GetChannel(ctx, d.ChannelID)
			switch {
			case errors.Is(err, errs.ErrNotFound):
			case err != nil:
				return n, fmt.Errorf("retry notifications: %w", err)
			case got.Enabled:
				c = &got
			}
			chans[d.ChannelID] = c
		}
		note, ok := notes[d.NotificationID]
		if !ok {
			got, err := s.store.GetNotification(ctx, d.NotificationID)
			switch {
			case errors.Is(err, errs.ErrNotFound):
			case err != nil:
				return n, fmt.Errorf("retry notifications: %w", err)
			default:
				note = &got
			}
			notes[d.NotificationID] = note
		}
		if c == nil || note == nil {
			continue
		}
		s.deliver(ctx, *c, *note, d.Attempt+1)
		n++
	}
	return n, nil
}

// Run calls RetryFailed every interval (DefaultRetryInterval if <= 0)
// until ctx is done, logging its errors; it returns nil then.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultRetryInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := s.RetryFailed(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("notification retry failed", "err", err)
			}
		}
	}
}

// SendTest sends a fixed test message on channel id, whether or not it is
// enabled, and returns the channel's error. Nothing is stored or recorded.
func (s *Service) SendTest(ctx context.Context, id int64) error {
	c, err := s.store.GetChannel(ctx, id)
	if err != nil {
		return fmt.Errorf("test channel: %w", err)
	}
	n := Notification{Kind: Test, Severity: c.MinSeverity, UnitID: c.UnitID,
		TitleVI:   "Khiên: thử kênh thông báo “" + c.Name + "”",
		TitleEN:   "Khiên: notification channel test “" + c.Name + "”",
		BodyVI:    "Nếu bạn nhận được tin này, kênh thông báo đã được cấu hình đúng.",
		BodyEN:    "If you received this message, the notification channel is configured correctly.",
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if n.Severity == "" {
		n.Severity = Info
	}
	if err := s.send(ctx, c, n); err != nil {
		return fmt.Errorf("test channel %d: %w", id, err)
	}
	return nil
}

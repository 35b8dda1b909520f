// Package notify tells people that something needs their attention: an
// obligation falls due or is overdue, evidence goes stale, a dossier is
// decided.
//
// The in-app inbox is the primary channel: every Notification is stored and
// shown to its recipients (one user, or every user whose scope covers a
// unit), each of whom marks it read for themselves. Outbound channels —
// Webhook, Email and Telegram — carry a copy to the places people already
// watch; their configuration (ChannelConfig, with its secret) and a log of
// every delivery attempt (Delivery) are stored beside the notifications.
//
// Service.Notify stores a notification, idempotently on its DedupeKey so
// that reminders run again and again without repeating themselves, and
// makes the first delivery attempt on each channel that covers it.
// Service.RetryFailed, run periodically by the caller (Service.Run does so
// on a ticker), retries failed attempts with backoff. See
// docs/notifications.md.
//
// # Secrets
//
// A channel's secret (ChannelConfig.Secret) is stored in the database as
// given. It is tagged json:"-", left out of log records (LogValue) and of
// every error a Channel returns: webhook and Telegram errors name the host
// only, never the URL's path, which may carry a token.
package notify

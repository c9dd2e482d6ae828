// Package seal keeps secrets (OneLogin client secrets, user passwords) out of
// plaintext everywhere they travel: logs, errors, JSON, workflow history and
// the database.
//
// A [Secret] holds plaintext but renders as [REDACTED] through every printer
// (fmt verbs, JSON, text, slog); only [Secret.Reveal] returns the text.
// A [Sealed] is AES-256-GCM ciphertext tagged with the id of the key that made
// it, so keys can rotate: a [Keyring] seals with its newest key and opens with
// any of its keys. The associated data given to Seal and Open binds a sealed
// value to its context (for example an integration id), so a sealed secret
// copied to another tenant's record does not open.
//
// The package depends on the standard library only, so the Temporal starter
// and workflows can seal values without pulling in database drivers.
package seal

// Package config defines the typed configuration of the khien binary and
// loads it from its sources.
//
// The effective configuration is built in layers, each overriding the one
// before it:
//
//  1. built-in defaults ([Default]);
//  2. a YAML file (strictly decoded: unknown keys are errors);
//  3. KHIEN_* environment variables, whose names derive from the YAML path
//     (database.url → KHIEN_DATABASE_URL), each also readable from a file
//     named by <VAR>_FILE, which is how secrets should be passed;
//  4. the few command-line flags registered by [BindFlags], when the user
//     set them.
//
// [Load] applies the layers, then [Config.Validate], and reports every
// problem it found at once, joined with [errors.Join], each naming the key,
// environment variable or flag at fault. The option list used for the
// environment, the flags, [Reference] and docs/configuration.md is derived
// by reflection from the struct tags of [Config] (yaml, flag and doc), so
// adding a field with those tags is all it takes to add an option.
//
// Secrets are held as [Secret] values, which print, log and marshal as
// "********"; [Config.String] is therefore safe to show.
//
// The package holds no global state: callers pass a [Config] (or the
// sub-struct a component needs) explicitly.
package config

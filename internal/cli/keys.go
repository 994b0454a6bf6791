package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/trust"
)

func keyringFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "keyring", "", "keyring directory (default $STELLA_KEYRING, else ~/.config/stella/keys)")
}

func keyring(dir string) sign.Keyring {
	if dir == "" {
		dir = sign.DefaultKeyringDir()
	}
	return sign.Keyring{Dir: dir}
}

// backends are the key backends of a command: the keyring for file: (and bare) references, the
// environment for env:, a PKCS#11 module for pkcs11:.
func backends(dir string) sign.Backends { return sign.Backends{Keyring: keyring(dir)} }

// openSigner opens the private key of a reference of any scheme.
func openSigner(ref, dir string) (*sign.Signer, error) { return backends(dir).Signer(ref) }

// keyErr classifies errors of the sign package: a bad reference or unusable key is bad input.
func keyErr(flag string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sign.ErrBadRef) || errors.Is(err, sign.ErrBadKey) || errors.Is(err, sign.ErrKeyNotFound) {
		return fault.Inputf("%s: %v", flag, err)
	}
	return err
}

// trustStore opens the keyring's trust store (trust.json beside the keys).
func trustStore(dir string) (*trust.Store, string, error) {
	p := trust.Path(keyring(dir).Dir)
	st, err := trust.Open(p)
	if err != nil {
		return nil, "", fault.Inputf("trust store %v", err)
	}
	return st, p, nil
}

// lockedTrustStore locks the keyring's trust store for a command that changes keys (the keyring
// directory is made if needed: it is where the lock lives) and opens it; unlock ends the lock.
func lockedTrustStore(dir string) (st *trust.Store, path string, unlock func(), err error) {
	d := keyring(dir).Dir
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, "", nil, err
	}
	if unlock, err = trust.Lock(trust.Path(d)); err != nil {
		return nil, "", nil, err
	}
	if st, path, err = trustStore(dir); err != nil {
		unlock()
		return nil, "", nil, err
	}
	return st, path, unlock, nil
}

func newKeysCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, rotate, revoke and show signing keys, and export the trust file",
		Long: `A key reference names where a private key lives:

  stella/signing/prod-key-2026         the keyring (file: scheme, the default): --keyring DIR
  file:stella/signing/prod-key-2026    the same
  pkcs11:token=stella;object=prod-key-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:STELLA_PKCS11_PIN
                                       a key pair inside an HSM (RFC 7512 URI); it never leaves the module.
                                       module-path defaults to $STELLA_PKCS11_MODULE, pin-source to
                                       env:STELLA_PKCS11_PIN (or file:PATH); a PIN is never part of a reference
  env:STELLA_SIGNING_KEY               a PEM private key in an environment variable (CI)

Every key Stella makes or rotates is recorded in the trust store (trust.json in the keyring directory)
with its validity window; "keys trust export" writes it as the signed trust file that "stella verify
--trust" and "stella evidence verify --trust" use offline. See docs/signing.md and docs/operations.md.`,
	}
	cmd.AddCommand(newKeysGenerateCommand(g), newKeysPublicCommand(g), newKeysListCommand(g),
		newKeysRotateCommand(g), newKeysRevokeCommand(g), newKeysTrustCommand(g))
	return cmd
}

func newKeysGenerateCommand(g *Globals) *cobra.Command {
	var dir, alg, now string
	gen := &cobra.Command{
		Use:   "generate REF",
		Short: "Create a new key pair under REF (e.g. stella/signing/prod-key-2026) and record it in the trust store",
		Example: `  stella keys generate stella/signing/prod-key-2026 --alg ES256
  stella keys generate dev/key --alg EdDSA --keyring ./keys
  STELLA_PKCS11_PIN=… stella keys generate 'pkcs11:token=stella;object=prod-key-2026?module-path=/usr/lib/softhsm/libsofthsm2.so' --alg RS256`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(sign.Algorithms, alg) {
				return fault.Inputf("--alg: %q is not RS256, ES256 or EdDSA", alg)
			}
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			pubRef, err := sign.PublicRef(args[0])
			if err != nil {
				return keyErr("REF", err)
			}
			st, stPath, unlock, err := lockedTrustStore(dir)
			if err != nil {
				return err
			}
			defer unlock()
			if k, ok := openKey(st, pubRef, at); ok {
				return fault.Inputf("REF: %s already has the open key %s in %s; rotate it (stella keys rotate) or revoke it first", pubRef, k.KeyID, stPath)
			}
			s, err := backends(dir).Generate(args[0], alg)
			if err != nil {
				if errors.Is(err, sign.ErrBadRef) || errors.Is(err, sign.ErrBadKey) {
					return keyErr("REF", err)
				}
				return err
			}
			defer s.Close()
			v := s.Verifier()
			if err := st.Add(v, args[0], at); err != nil {
				return err
			}
			if err := st.Save(stPath); err != nil {
				return fmt.Errorf("key %s made, but recording it in %s failed: %w", pubRef, stPath, err)
			}
			kr := keyring(dir)
			var priv, pub string
			if sign.Scheme(args[0]) == sign.SchemeFile {
				priv, _ = kr.PrivatePath(pubRef)
				pub, _ = kr.PublicPath(pubRef)
			}
			if g.JSON() {
				return g.PrintJSON(map[string]string{"ref": s.Ref, "algorithm": s.Alg, "keyId": v.KeyID(), "privateKey": priv, "publicKey": pub, "trustStore": stPath})
			}
			if pub == "" {
				pub = v.KeyID()
			}
			_, err = fmt.Fprintf(g.Stdout, "%s %s %s\n", s.Ref, s.Alg, pub)
			return err
		},
	}
	gen.Flags().StringVar(&alg, "alg", sign.ES256, "algorithm: ES256, RS256 or EdDSA (pkcs11: ES256 or RS256)")
	gen.Flags().StringVar(&now, "now", "", "the time the key's window opens (RFC 3339; default now)")
	keyringFlag(gen, &dir)
	_ = gen.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(sign.Algorithms, cobra.ShellCompDirectiveNoFileComp))
	return gen
}

// openKey is the key of ref that is open at t (in its window, not revoked, not rotated away).
func openKey(st *trust.Store, ref string, t time.Time) (trust.Key, bool) {
	for _, k := range st.ByRef(ref) {
		if k.NotAfter.IsZero() && k.Current(t) {
			return k, true
		}
	}
	return trust.Key{}, false
}

func newKeysPublicCommand(g *Globals) *cobra.Command {
	var pdir string
	pub := &cobra.Command{
		Use:   "public REF",
		Short: "Print the public key of REF as PEM (SubjectPublicKeyInfo)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := backends(pdir).Verifier(args[0])
			if err != nil {
				return keyErr("REF", err)
			}
			p, err := v.PublicPEM()
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(map[string]string{"ref": v.Ref, "algorithm": v.Alg, "keyId": v.KeyID(), "publicKey": string(p)})
			}
			_, err = g.Stdout.Write(p)
			return err
		},
	}
	keyringFlag(pub, &pdir)
	return pub
}

func newKeysListCommand(g *Globals) *cobra.Command {
	var ldir string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the key references in the keyring",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			kr := keyring(ldir)
			refs, err := kr.List()
			if err != nil {
				return err
			}
			type row struct {
				Ref       string `json:"ref"`
				Algorithm string `json:"algorithm,omitempty"`
				KeyID     string `json:"keyId,omitempty"`
			}
			rows := []row{}
			for _, r := range refs {
				x := row{Ref: r}
				if v, err := kr.Verifier(r); err == nil {
					x.Algorithm, x.KeyID = v.Alg, v.KeyID()
				}
				rows = append(rows, x)
			}
			if g.JSON() {
				return g.PrintJSON(rows)
			}
			for _, r := range rows {
				fmt.Fprintf(g.Stdout, "%s\t%s\t%s\n", r.Ref, r.Algorithm, r.KeyID)
			}
			return nil
		},
	}
	keyringFlag(list, &ldir)
	return list
}

// keyChange is what rotate and revoke print.
type keyChange struct {
	Ref       string    `json:"ref"`
	Action    string    `json:"action"`
	KeyID     string    `json:"keyId"`
	NewKeyID  string    `json:"newKeyId,omitempty"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason,omitempty"`
	Algorithm string    `json:"algorithm,omitempty"`
	// Evidence lists the key_rotation or key_revocation packets recorded, TENANT/ID each.
	Evidence []string `json:"evidence,omitempty"`
}

func newKeysRotateCommand(g *Globals) *cobra.Command {
	var dir, alg, now string
	var o dbOptions
	var tenants []string
	cmd := &cobra.Command{
		Use:   "rotate REF",
		Short: "Replace the key behind REF: a new key pair, the old key's window closed, both recorded",
		Long: `Rotate makes a new key pair under the same reference, closes the old key's validity window at now
(--now) and opens the new key's there, and records both in the trust store. Sets signed before the
rotation keep verifying against the trust file; a signature by the old key dated after it does not.

The keyring keeps the old private key renamed aside (REF.key.retired-KEYID) for the operator to destroy;
an HSM key is destroyed in the module. An env: key is rotated by putting the new key in the variable
first: rotate then records the key it now holds as the successor of the recorded one.`,
		Example: `  stella keys rotate stella/signing/prod
  stella keys rotate 'pkcs11:token=stella;object=prod?module-path=/usr/lib/softhsm/libsofthsm2.so'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if alg != "" && !slices.Contains(sign.Algorithms, alg) {
				return fault.Inputf("--alg: %q is not RS256, ES256 or EdDSA", alg)
			}
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			ref := args[0]
			pubRef, err := sign.PublicRef(ref)
			if err != nil {
				return keyErr("REF", err)
			}
			// The database the rotation is recorded in is opened first: a rotation is not made when it
			// could not be recorded.
			db, err := rotationDB(cmd, g, &o, tenants)
			if err != nil {
				return err
			}
			if db != nil {
				defer db.Close()
			}
			st, stPath, unlock, err := lockedTrustStore(dir)
			if err != nil {
				return err
			}
			defer unlock()
			be, r, err := backends(dir).For(ref)
			if err != nil {
				return keyErr("REF", err)
			}
			var oldID string
			var next *sign.Signer
			if rot, ok := be.(sign.Rotator); ok {
				next, err = rot.Rotate(r, alg, func(old *sign.Verifier, n *sign.Signer) error {
					oldID = old.KeyID()
					if err := st.Rotate(old, n.Verifier(), ref, at); err != nil {
						return fault.Inputf("REF: %v", err)
					}
					return st.Save(stPath)
				})
			} else {
				next, oldID, err = rotateInPlace(be, r, ref, pubRef, st, stPath, at)
			}
			if err != nil {
				return keyErr("REF", err)
			}
			defer next.Close()
			res := keyChange{Ref: pubRef, Action: "rotate", KeyID: oldID, NewKeyID: next.Verifier().KeyID(), At: trust.CloseAt(at), Algorithm: next.Alg}
			revoked := ""
			if k, ok := st.Key(oldID); ok && !k.RevokedAt.IsZero() {
				revoked = fmt.Sprintf("key %s was revoked from %s: %s", oldID, k.RevokedAt.UTC().Format(time.RFC3339), k.Reason)
			}
			if res.Evidence, err = recordRotation(cmd, db, tenants, next, res, revoked); err != nil {
				return fmt.Errorf("%s was rotated (key %s closed, key %s in use) but the key_rotation evidence could not be recorded: %w", pubRef, res.KeyID, res.NewKeyID, err)
			}
			if g.JSON() {
				return g.PrintJSON(res)
			}
			_, err = fmt.Fprintf(g.Stdout, "%s: key %s closed at %s, key %s (%s) in use\n", pubRef, res.KeyID, res.At.Format(time.RFC3339), res.NewKeyID, res.Algorithm)
			return err
		},
	}
	cmd.Flags().StringVar(&alg, "alg", "", "algorithm of the new key (default: the old key's)")
	cmd.Flags().StringVar(&now, "now", "", "the rotation time (RFC 3339; default now)")
	cmd.Flags().StringArrayVar(&tenants, "tenant", nil, "record the key_rotation evidence in this tenant's chain (repeatable; default: every tenant of the database)")
	keyringFlag(cmd, &dir)
	o.flags(cmd)
	return cmd
}

// rotationDB opens the metadata database a rotation is recorded in; nil (and a note) when the embedded
// database does not exist and no flag asked for one: rotate never creates a database.
func rotationDB(cmd *cobra.Command, g *Globals, o *dbOptions, tenants []string) (meta.DB, error) {
	url := o.URL()
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if len(tenants) > 0 || o.Data != "" || o.Database != "" {
				return nil, fault.Inputf("--data/--database: no metadata database at %s to record the rotation in", path)
			}
			fmt.Fprintf(g.Stderr, "stella: note: no metadata database at %s: the rotation is recorded in the trust store only\n", path)
			return nil, nil
		}
	}
	return o.openExisting(cmd.Context())
}

// recordRotation appends a key_rotation packet, signed with the new key, to the chain of each tenant
// (every tenant of the database unless --tenant names them).
func recordRotation(cmd *cobra.Command, db meta.DB, tenants []string, next *sign.Signer, res keyChange, revoked string) ([]string, error) {
	if db == nil {
		return nil, nil
	}
	pub, err := next.Verifier().PublicPEM()
	if err != nil {
		return nil, err
	}
	k := evidence.KeyEvent{Action: "rotate", Ref: res.Ref, OldKeyID: res.KeyID, NewKeyID: res.NewKeyID, Algorithm: res.Algorithm, At: res.At, NewPublicKey: string(pub), Reason: revoked}
	return appendEveryTenant(cmd, db, tenants, func(t string, by evidence.Person) (meta.Evidence, error) {
		return evidence.AppendKeyRotation(cmd.Context(), db, t, next, k, by)
	})
}

// appendEveryTenant appends one packet to the chain of each tenant (every tenant of the database
// unless tenants names them), by whoever runs the command; it returns TENANT/ID of each.
func appendEveryTenant(cmd *cobra.Command, db meta.DB, tenants []string, add func(tenant string, by evidence.Person) (meta.Evidence, error)) ([]string, error) {
	var err error
	if len(tenants) == 0 {
		if tenants, err = db.Tenants(cmd.Context()); err != nil {
			return nil, err
		}
	}
	who := actor()
	var ids []string
	for _, t := range tenants {
		ev, err := add(t, evidence.Person{ID: who, Name: who})
		if err != nil {
			return ids, fmt.Errorf("tenant %s: %w", t, err)
		}
		ids = append(ids, t+"/"+ev.ID)
	}
	return ids, nil
}

// rotateInPlace records, for a backend that cannot make keys (env:), the key ref holds now as the
// successor of the open key recorded for it.
func rotateInPlace(be sign.Backend, r, ref, pubRef string, st *trust.Store, stPath string, at time.Time) (*sign.Signer, string, error) {
	prev, ok := openKey(st, pubRef, at)
	if !ok {
		return nil, "", fault.Inputf("REF: %s has no open key in %s to rotate from (record it with stella keys trust add)", pubRef, stPath)
	}
	next, err := be.Signer(r)
	if err != nil {
		return nil, "", err
	}
	if next.Verifier().KeyID() == prev.KeyID {
		next.Close()
		return nil, "", fault.Inputf("REF: %s still holds key %s; put the new key in place first, then rotate", pubRef, prev.KeyID)
	}
	old, err := sign.ParsePublicPEM(prev.Ref, []byte(prev.PublicKey))
	if err == nil {
		err = st.Rotate(old, next.Verifier(), ref, at)
	}
	if err == nil {
		err = st.Save(stPath)
	}
	if err != nil {
		next.Close()
		return nil, "", err
	}
	return next, prev.KeyID, nil
}

func newKeysRevokeCommand(g *Globals) *cobra.Command {
	var dir, reason, keyID, now, at, signWith string
	var o dbOptions
	var tenants []string
	cmd := &cobra.Command{
		Use:   "revoke REF --reason TEXT",
		Short: "Revoke a key: its signatures dated at or after the revocation no longer count",
		Long: `Revoke marks a key of REF revoked at --at (default now) with the reason. Signatures the key made
before that time still verify against the trust file; later ones are refused, naming the revocation.
For a compromised key, give --at the earliest time it may have been exposed. Without --key-id the open
key of REF is revoked; --key-id picks any recorded key of REF (one already rotated away, say).

Where a metadata database exists, the revocation is also appended to each tenant's evidence chain as a
key_revocation packet, signed with --key, or else with REF's current key when that is not the revoked
one. Revoking REF's current key without --key records it in the trust store only (a note says so); the
key_rotation packet of the next stella keys rotate of REF then names the revocation.`,
		Example: `  stella keys revoke stella/signing/prod --reason "laptop lost" --at 2026-03-01T00:00:00Z`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return fault.Inputf("--reason: say why the key is revoked")
			}
			t, err := parseNow(now)
			if err != nil {
				return err
			}
			when := t
			if at != "" {
				if when, err = time.Parse(time.RFC3339, at); err != nil {
					return fault.Inputf("--at: %q is not an RFC 3339 time", at)
				}
			}
			pubRef, err := sign.PublicRef(args[0])
			if err != nil {
				return keyErr("REF", err)
			}
			var signer *sign.Signer
			if signWith != "" {
				if signer, err = loadSigner(signWith, dir); err != nil {
					return err
				}
				defer signer.Close()
			}
			db, err := rotationDB(cmd, g, &o, tenants)
			if err != nil {
				return err
			}
			if db != nil {
				defer db.Close()
			}
			st, stPath, unlock, err := lockedTrustStore(dir)
			if err != nil {
				return err
			}
			defer unlock()
			if keyID == "" {
				k, ok := openKey(st, pubRef, t)
				if !ok {
					return fault.Inputf("REF: %s has no open key in %s; name one with --key-id", pubRef, stPath)
				}
				keyID = k.KeyID
			} else if k, ok := st.Key(keyID); !ok || k.Ref != pubRef {
				return fault.Inputf("--key-id: %s is not a key of %s in %s", keyID, pubRef, stPath)
			}
			if signer == nil && db != nil {
				// REF's current key signs, unless it is the one revoked.
				if cur, err := openSigner(args[0], dir); err == nil {
					if cur.Verifier().KeyID() != keyID {
						signer = cur
						defer cur.Close()
					} else {
						cur.Close()
					}
				}
			}
			if signer != nil && signer.Verifier().KeyID() == keyID {
				return fault.Inputf("--key: %s is the key being revoked; sign the revocation with another key", signWith)
			}
			if err := st.Revoke(keyID, when, reason); err != nil {
				return fault.Inputf("REF: %v", err)
			}
			if err := st.Save(stPath); err != nil {
				return err
			}
			res := keyChange{Ref: pubRef, Action: "revoke", KeyID: keyID, At: when.UTC().Truncate(time.Second), Reason: reason}
			switch {
			case db != nil && signer != nil:
				k := evidence.KeyEvent{Action: "revoke", Ref: pubRef, OldKeyID: keyID, At: res.At, Reason: reason}
				if res.Evidence, err = appendEveryTenant(cmd, db, tenants, func(t string, by evidence.Person) (meta.Evidence, error) {
					return evidence.AppendKeyRevocation(cmd.Context(), db, t, signer, k, by)
				}); err != nil {
					return fmt.Errorf("%s: key %s was revoked in %s but the key_revocation evidence could not be recorded: %w", pubRef, keyID, stPath, err)
				}
			case db != nil:
				fmt.Fprintf(g.Stderr, "stella: note: the revocation is recorded in the trust store only; give --key (another key) to record a key_revocation packet, or rotate %s: its key_rotation packet names the revocation\n", pubRef)
			}
			if g.JSON() {
				return g.PrintJSON(res)
			}
			_, err = fmt.Fprintf(g.Stdout, "%s: key %s revoked at %s (%s)\n", pubRef, keyID, res.At.Format(time.RFC3339), reason)
			return err
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the key is revoked (required; recorded in the trust file)")
	cmd.Flags().StringVar(&keyID, "key-id", "", "the key of REF to revoke (default: its open key)")
	cmd.Flags().StringVar(&at, "at", "", "revocation time (RFC 3339; default --now)")
	cmd.Flags().StringVar(&now, "now", "", "the current time (RFC 3339; default now)")
	cmd.Flags().StringVar(&signWith, "key", "", "signing key of the key_revocation evidence (default: REF's current key, unless it is the one revoked)")
	cmd.Flags().StringArrayVar(&tenants, "tenant", nil, "record the key_revocation evidence in this tenant's chain (repeatable; default: every tenant of the database)")
	keyringFlag(cmd, &dir)
	o.flags(cmd)
	return cmd
}

func newKeysTrustCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "The trust store: export the signed trust file, add a key, show the windows",
	}
	cmd.AddCommand(newTrustExportCommand(g), newTrustAddCommand(g), newTrustShowCommand(g))
	return cmd
}

func newTrustExportCommand(g *Globals) *cobra.Command {
	var dir, key, now string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the signed trust file (every key and its window) on stdout",
		Long: `Export writes the trust store as one signed JSON trust file on stdout: every key ever recorded, its
public key, algorithm, window and revocation, without how this host reaches the private keys. It is
signed by --key, by default the key of the store opened most recently that is still current. The
signer's key id is printed on stderr: give it to the verifier's operators out of band, since the file
vouches for itself.`,
		Example: `  stella keys trust export > stella-trust.json
  stella verify --trust stella-trust.json artifacts/acme/deploy-42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseNow(now)
			if err != nil {
				return err
			}
			st, stPath, err := trustStore(dir)
			if err != nil {
				return err
			}
			if key == "" {
				var best trust.Key
				for _, k := range st.Keys {
					if k.Use != "" && k.NotAfter.IsZero() && k.Current(t) && !k.NotBefore.Before(best.NotBefore) {
						best = k
					}
				}
				if best.Use == "" {
					return fault.Inputf("--key: %s has no current key to sign with; give --key REF", stPath)
				}
				key = best.Use
			}
			s, err := openSigner(key, dir)
			if err != nil {
				return keyErr("--key", err)
			}
			defer s.Close()
			out, err := st.Export(s, t)
			if err != nil {
				return fault.Inputf("--key: %v", err)
			}
			if _, err := g.Stdout.Write(out); err != nil {
				return err
			}
			fmt.Fprintf(g.Stderr, "trust file signed by key %s (%s %s)\n", s.Verifier().KeyID(), s.Alg, s.Ref)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "key reference to sign the trust file with (default: the newest current key)")
	cmd.Flags().StringVar(&now, "now", "", "the trust file's generatedAt (RFC 3339; default now)")
	keyringFlag(cmd, &dir)
	return cmd
}

func newTrustAddCommand(g *Globals) *cobra.Command {
	var dir, notBefore string
	cmd := &cobra.Command{
		Use:   "add REF",
		Short: "Record the current public key of REF (a key made outside Stella, or before the trust store)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseNow(notBefore)
			if err != nil {
				return fault.Inputf("--not-before: %q is not an RFC 3339 time", notBefore)
			}
			v, err := backends(dir).Verifier(args[0])
			if err != nil {
				return keyErr("REF", err)
			}
			st, stPath, unlock, err := lockedTrustStore(dir)
			if err != nil {
				return err
			}
			defer unlock()
			if err := st.Add(v, args[0], at); err != nil {
				return fault.Inputf("REF: %v", err)
			}
			if err := st.Save(stPath); err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.Stdout, "%s %s %s from %s\n", v.Ref, v.Alg, v.KeyID(), at.UTC().Truncate(time.Second).Format(time.RFC3339))
			return err
		},
	}
	cmd.Flags().StringVar(&notBefore, "not-before", "", "when the key's window opens (RFC 3339; default now)")
	keyringFlag(cmd, &dir)
	return cmd
}

func newTrustShowCommand(g *Globals) *cobra.Command {
	var dir, file string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show every key of the trust store (or of a trust file) with its window",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st *trust.Store
			var err error
			if file != "" {
				st, err = loadTrust(file)
			} else {
				st, _, err = trustStore(dir)
			}
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(st.Keys)
			}
			ts := func(t time.Time) string {
				if t.IsZero() {
					return "-"
				}
				return t.Format(time.RFC3339)
			}
			for _, k := range st.Keys {
				fmt.Fprintf(g.Stdout, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Algorithm, k.Ref, ts(k.NotBefore), ts(k.NotAfter), ts(k.RevokedAt), orDash(k.Reason))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "show this exported trust file (checked first) instead of the store")
	keyringFlag(cmd, &dir)
	return cmd
}

// loadTrust reads and checks the trust file given with --trust. A file that does not hold is bad input:
// nothing can be verified with it.
func loadTrust(path string) (*trust.Store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Inputf("--trust: %v", err)
	}
	st, err := trust.LoadFile(data)
	if err != nil {
		return nil, fault.Inputf("--trust %s: %v", path, err)
	}
	return st, nil
}

// trustFlag adds --trust FILE to a verifying command.
func trustFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVar(file, "trust", "", "verify offline with this trust file (stella keys trust export): each signature must be by a key in it, dated inside the key's window")
	_ = cmd.MarkFlagFilename("trust", "json")
}

// trustKeys loads --trust FILE, which replaces --public-key and the keyring.
func trustKeys(file string, publicKeys []string) (*trust.Store, error) {
	if len(publicKeys) > 0 {
		return nil, fault.Inputf("--trust: give --trust or --public-key, not both")
	}
	return loadTrust(file)
}

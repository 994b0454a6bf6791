package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/sign"
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

func newKeysCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create and show signing keys in a keyring directory",
	}
	var dir, alg string
	gen := &cobra.Command{
		Use:   "generate REF",
		Short: "Create a new key pair under REF (e.g. stella/signing/prod-key-2026)",
		Example: `  stella keys generate stella/signing/prod-key-2026 --alg ES256
  stella keys generate dev/key --alg EdDSA --keyring ./keys`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(sign.Algorithms, alg) {
				return fault.Inputf("--alg: %q is not RS256, ES256 or EdDSA", alg)
			}
			kr := keyring(dir)
			s, err := kr.Generate(args[0], alg)
			if err != nil {
				if errors.Is(err, sign.ErrBadRef) {
					return keyErr("REF", err)
				}
				return err
			}
			priv, _ := kr.PrivatePath(args[0])
			pub, _ := kr.PublicPath(args[0])
			v := s.Verifier()
			if g.JSON() {
				return g.PrintJSON(map[string]string{"ref": s.Ref, "algorithm": s.Alg, "keyId": v.KeyID(), "privateKey": priv, "publicKey": pub})
			}
			_, err = fmt.Fprintf(g.Stdout, "%s %s %s\n", s.Ref, s.Alg, pub)
			return err
		},
	}
	gen.Flags().StringVar(&alg, "alg", sign.ES256, "algorithm: ES256, RS256 or EdDSA")
	keyringFlag(gen, &dir)
	_ = gen.RegisterFlagCompletionFunc("alg", cobra.FixedCompletions(sign.Algorithms, cobra.ShellCompDirectiveNoFileComp))

	var pdir string
	pub := &cobra.Command{
		Use:   "public REF",
		Short: "Print the public key of REF as PEM (SubjectPublicKeyInfo)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := keyring(pdir).Verifier(args[0])
			if err != nil {
				return keyErr("REF", err)
			}
			p, err := v.PublicPEM()
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(map[string]string{"ref": args[0], "algorithm": v.Alg, "keyId": v.KeyID(), "publicKey": string(p)})
			}
			_, err = g.Stdout.Write(p)
			return err
		},
	}
	keyringFlag(pub, &pdir)

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
	cmd.AddCommand(gen, pub, list)
	return cmd
}

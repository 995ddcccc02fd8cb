package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pbxlab/internal/pcapio"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, setup processSetup) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file (default: the embedded demo configuration)")
	check := fs.String("check-config", "", "validate this configuration file and exit")
	printCfg := fs.Bool("print-config", false, "print the effective configuration and exit")
	capture := fs.String("capture", "", "write every SIP message to this pcapng file")
	storePath := fs.String("store", "", "SQLite file for bindings and CDRs (overrides store.path)")
	tokenFile := fs.String("admin-token-file", "", "file holding the admin API's bearer token (overrides admin.token and $"+adminTokenEnv+")")
	var listen listFlag
	fs.Var(&listen, "listen", "listen address transport:host:port [advertise IP[:PORT]], repeatable (overrides sip.listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check != "" {
		if _, err := config.Load(*check); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: ok\n", *check)
		return nil
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if len(listen) > 0 {
		cfg.SIP.Listen = listen
	}
	if *storePath != "" {
		cfg.Store.Path = *storePath
	}
	if *capture != "" {
		cfg.Capture = *capture
	}
	if err := adminToken(cfg, *tokenFile); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *printCfg {
		b, err := cfg.Marshal()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	log := newLogger(stderr, cfg.Log.SlogLevel(), cfg.Log.Format)
	// sip.t1/t2/t4 drive sipgo's transactions too; sipgo logs through the
	// process's logger.
	st := pbx.StackSettings(cfg)
	st.Logger = log
	if err := setup.sip(st); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	ctl, procsDone := setup.adaptiveProcs(ctx, cfg.Runtime.AdaptiveProcs, log)
	defer func() { stop(); procsDone() }() // the controller ends with the command, GOMAXPROCS restored
	opts := []pbx.Option{pbx.WithLogger(log), pbx.WithCollectors(procsCollectors(ctl)...)}
	if cfg.Capture != "" {
		w, err := pcapio.Create(cfg.Capture)
		if err != nil {
			return err
		}
		defer w.Close()
		opts = append(opts, pbx.WithCapture(w))
	}
	srv, err := pbx.New(cfg, opts...)
	if err != nil {
		return err
	}
	for _, a := range srv.Addrs() {
		fmt.Fprintf(stdout, "pbxlab: listening on %s\n", a)
	}
	return srv.Run(ctx)
}

// adminTokenEnv names the environment variable that overrides admin.token.
const adminTokenEnv = "PBXLAB_ADMIN_TOKEN"

// adminToken sets admin.token from the token file (its first line), else
// from $PBXLAB_ADMIN_TOKEN, so the secret need not be in the configuration
// file or on the command line. Validate checks it afterwards.
func adminToken(cfg *config.Config, file string) error {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("admin token: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		cfg.Admin.Token = config.Secret(strings.TrimRight(line, "\r"))
		return nil
	}
	if tok, ok := os.LookupEnv(adminTokenEnv); ok {
		cfg.Admin.Token = config.Secret(tok)
	}
	return nil
}

// loadConfig loads path, or the embedded demo configuration with its store
// in the user's cache directory when path is empty.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	cfg := config.Demo()
	if cfg.Store.Path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		dir = filepath.Join(dir, "pbxlab")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
		cfg.Store.Path = filepath.Join(dir, "demo.db")
	}
	return cfg, nil
}

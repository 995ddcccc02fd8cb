package pbxcontainer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"pbxlab/internal/testproc"
)

// Labels of everything this package makes. LabelOwner's value is the
// testproc.Owner token of the test binary that made it.
const (
	LabelOwner = "org.pbxlab.test.owner"
	// ImageRepo is the repository of the images BuildImage builds; the tag
	// is a hash of the Dockerfile and the binary, then the pid of the test
	// binary: each test binary tags (and later removes) its own, and the
	// engine's build cache makes a second build of the same binary a
	// matter of seconds.
	ImageRepo = "pbxlab-test"
)

// Image is a pbxlab image in the local engine.
type Image struct {
	// Name is repo:tag.
	Name string
	log  *slog.Logger
}

// BuildOptions configure BuildImage.
type BuildOptions struct {
	// ModuleRoot is the directory of pbxlab's go.mod; default: found above
	// the working directory (FindModuleRoot).
	ModuleRoot string
	// Go is the go command; default "go".
	Go string
	// Log receives progress and the build logs at debug level.
	Log *slog.Logger
}

// BuildImage builds cmd/pbxlab with CGO_ENABLED=0 (a static binary: the
// SQLite driver is pure Go) and the image of build/Dockerfile around it, as
// `make image` does. The context is made in a temporary directory: the
// Dockerfile, the binary, and the empty data/ and tmp/ directories the
// image needs.
func BuildImage(ctx context.Context, o BuildOptions) (*Image, error) {
	log := orDiscard(o.Log)
	root := o.ModuleRoot
	if root == "" {
		r, err := FindModuleRoot()
		if err != nil {
			return nil, err
		}
		root = r
	}
	goCmd := o.Go
	if goCmd == "" {
		goCmd = "go"
	}
	dir, err := os.MkdirTemp("", "pbxlab-image-")
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, d := range []string{"data", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("build image: %w", err)
		}
	}
	df, err := os.ReadFile(filepath.Join(root, "build", "Dockerfile"))
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	start := time.Now()
	bin := filepath.Join(dir, "pbxlab")
	var out bytes.Buffer
	cmd := exec.Command(goCmd, "build", "-o", bin, "./cmd/pbxlab")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		return nil, fmt.Errorf("build image: go build: %w\n%s", err, out.Bytes())
	}
	log.Debug("pbxlab built", "elapsed", time.Since(start))
	sum, err := fileHash(bin)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	h := sha256.New()
	h.Write(df)
	h.Write(sum)
	img := &Image{Name: fmt.Sprintf("%s:%s-%d", ImageRepo, hex.EncodeToString(h.Sum(nil))[:16], os.Getpid()), log: log}
	prov, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tcLogger{log}))
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	defer prov.Close()
	owner, err := testproc.Owner()
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	var buildLog bytes.Buffer
	repo, tag, _ := strings.Cut(img.Name, ":")
	start = time.Now()
	_, err = prov.BuildImage(ctx, &testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			Context:        dir,
			Dockerfile:     "Dockerfile",
			Repo:           repo,
			Tag:            tag,
			KeepImage:      true,
			BuildLogWriter: &buildLog,
			BuildOptionsModifier: func(b *client.ImageBuildOptions) {
				b.Labels = map[string]string{LabelOwner: owner}
				b.PullParent = false
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("build image %s: %w\n%s", img.Name, err, buildLog.Bytes())
	}
	log.Debug("image built", "image", img.Name, "elapsed", time.Since(start), "log", buildLog.String())
	return img, nil
}

// Remove deletes the image (its tag; the layers go with the last tag).
func (i *Image) Remove(ctx context.Context) error {
	if i == nil {
		return nil
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("remove image %s: %w", i.Name, err)
	}
	defer cli.Close()
	if _, err := cli.ImageRemove(ctx, i.Name, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
		return fmt.Errorf("remove image %s: %w", i.Name, err)
	}
	return nil
}

func fileHash(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	return h.Sum(nil), nil
}

// FindModuleRoot returns the directory of the go.mod of module pbxlab, at
// or above the working directory.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module pbxlab\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: %w", ErrNoModule)
		}
		dir = parent
	}
}

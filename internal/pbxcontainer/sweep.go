package pbxcontainer

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"pbxlab/internal/testproc"
)

// Swept counts what Sweep removed.
type Swept struct{ Containers, Networks, Images int }

// Sweep removes the containers, networks and images this package made for
// a test binary that is no longer running (killed before its cleanup ran):
// the testcontainers reaper (Ryuk) would do it, but it is an image to pull.
// Call it from TestMain, before the tests.
func Sweep(ctx context.Context) (Swept, error) {
	var s Swept
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return s, fmt.Errorf("sweep: %w", err)
	}
	defer cli.Close()
	dead := func(labels map[string]string) bool {
		owner, ok := labels[LabelOwner]
		return ok && !testproc.OwnerAlive(owner)
	}
	f := make(client.Filters).Add("label", LabelOwner)
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	errs = append(errs, err)
	for _, c := range cs.Items {
		if dead(c.Labels) {
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err == nil {
				s.Containers++
			}
			errs = append(errs, err)
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	errs = append(errs, err)
	for _, n := range ns.Items {
		if dead(n.Labels) {
			_, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
			if err == nil {
				s.Networks++
			}
			errs = append(errs, err)
		}
	}
	is, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	errs = append(errs, err)
	for _, im := range is.Items {
		if dead(im.Labels) {
			_, err := cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true})
			if err == nil {
				s.Images++
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("sweep: %w", err)
	}
	return s, nil
}

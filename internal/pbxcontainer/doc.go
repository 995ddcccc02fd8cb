// Package pbxcontainer runs pbxlab in Docker containers for tests, with
// testcontainers-go: it builds the FROM-scratch image of build/Dockerfile
// around a static binary built on the host (BuildImage), creates
// user-defined networks (NewNetwork), starts the PBX (`pbxlab serve`,
// StartPBX) and the simulator (`pbxlab sim`, RunSim) in containers, tells
// when the PBX is ready by a SIP OPTIONS probe (internal/sipprobe; UDP ports
// cannot be port-waited and a scratch image has no shell), and is the BDD
// suite's container target (Target: a PBX container per scenario, started
// with the scenario's configuration).
//
// The Docker engine of this project has no registry: nothing is pulled.
// The image has no builder stage and no `# syntax=` line, and the
// testcontainers features that need helper images are not used: Ryuk
// (TESTCONTAINERS_RYUK_DISABLED=true; every container, network and image
// made here carries the label LabelOwner instead, and Sweep removes what a
// dead test binary left) and HostAccessPorts (it starts an sshd image).
//
// Phones on the host reach a PBX container through UDP and TCP ports
// published on the network's gateway address (the host's own address on
// that bridge), and the PBX advertises that address in Via and Contact; see
// StartPBX for why the gateway and not 127.0.0.1 or host networking.
//
// testcontainers-go imports testing, so only tests may import this package:
// the pbxlab binary must not link it (cmd/pbxlab's deps test checks).
package pbxcontainer

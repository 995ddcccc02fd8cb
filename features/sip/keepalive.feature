# Issue 9, "Keepalives": a phone behind a NAT is reachable only while the
# NAT keeps its binding, which idles out in tens of seconds for UDP. With
# registrar.keepalive set, the PBX sends an OPTIONS to every registered UDP
# contact that often (spread over the interval), at the address the
# REGISTER came from (RFC 3581), whatever the Contact names. Any answer,
# even an error, proves the path; none is required.
@in-process @udp @rfc3261 @rfc3581 @cap-registrar @cap-nat
Feature: Keeping a NAT's bindings open
  The PBX keeps phones behind NATs reachable between their registrations.

  @project-default
  Scenario: A phone behind a NAT gets OPTIONS keepalives at its public address
    Given the PBX keeps registered phones' NAT bindings open every 5 seconds
    And phone 1002 registers from behind a NAT, its Contact naming the private address 192.168.1.20:5060
    Then the PBX sends 1002 an OPTIONS keepalive at the address its REGISTER came from

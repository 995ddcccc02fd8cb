# Manual, Location Server: NAT/firewall traversal. The PBX reaches a phone
# at the address its REGISTER came from, not the private address in its
# Contact (RFC 3581 rport/received: the mechanism is ours, the digest only
# says the LS does NAT traversal).
@manual @rfc3581 @cap-registrar @cap-calls @cap-nat
Feature: Phones behind NAT
  A phone behind NAT advertises a private address it cannot be reached at;
  the PBX must send calls to the public address and port the REGISTER came
  from.

  Scenario: A call reaches a phone whose Contact names a private address
    Given phone 1001 is registered
    And phone 1002 registers from behind a NAT, its Contact naming the private address 192.168.1.20:5060
    When 1001 calls 1002
    Then 1002 rings at the address its REGISTER came from
    And 1001 hears ringing
    When 1002 declines the call
    Then the call fails with 486

  Scenario: The caller's CANCEL reaches a phone behind NAT
    Given phone 1001 is registered
    And phone 1002 registers from behind a NAT, its Contact naming the private address 192.168.1.20:5060
    When 1001 calls 1002
    Then 1002 rings at the address its REGISTER came from
    When 1001 hangs up
    Then the call fails with 487
    And 1002 stops ringing

# The requests are raw fixtures (features/steps/fixtures) sent byte for
# byte. The digest says the proxy "authenticates and authorises" (manual);
# it says nothing of Max-Forwards, so 483 is RFC 3261 §16.3's rule, not the
# manual's (project default).
@rfc3261 @cap-registrar @cap-calls
Feature: Protocol guards on INVITE
  The PBX refuses INVITEs it must not process before anything rings.

  @project-default
  Scenario: An INVITE with Max-Forwards 0 is refused with 483
    Given phone 1002 is registered
    When an INVITE from 1001 to 1002 arrives with Max-Forwards 0
    Then the PBX answers 483 Too Many Hops
    And 1002 does not ring

  @manual @cap-auth
  Scenario: An INVITE without credentials is challenged with 407
    Given phone 1002 is registered
    When an INVITE from 1001 to 1002 arrives without credentials
    Then the PBX answers 407 Proxy Authentication Required
    And the answer carries a digest challenge
    And 1002 does not ring

# Manual, Process Server: the PBX acts as registrar and endpoints "register
# or update their descriptions by sending REGISTER messages" (seed excerpt).
# The digest names authentication only for the proxy role, and says nothing
# of registration lifetimes, minimum intervals or expiry: registrar
# authentication (RFC 3261 §10.3 step 4, §22), 423 and expiry follow
# RFC 3261 and are our defaults, as are the timers and numbers used. The
# 480 for a number without binding is ours too (cap-numbering).
@rfc3261 @cap-registrar
Feature: Registering a phone
  A subscriber's phone registers its contact address with the PBX's
  registrar, which authenticates it, and is reachable at that address
  until the registration is removed or expires.

  @manual @cap-calls
  Scenario: A registered phone can be called
    Given phone 1001 is registered
    And phone 1002 is registered
    Then the registration of 1001 is accepted
    And 1002 can reach 1001

  @project-default @cap-auth @cap-calls @cap-numbering
  Scenario: A wrong password is refused and leaves the phone unregistered
    Given phone 1001 is not registered
    And phone 1002 is registered
    When phone 1001 tries to register with a wrong password
    Then the registration is refused with 401 or 403
    And a call from 1002 to 1001 fails with 480
    And 1001 does not ring

  @project-default @in-process @cap-calls @cap-numbering
  Scenario: A registration shorter than the minimum interval is refused with 423
    Given the registrar's minimum registration interval is 60 seconds
    And phone 1002 is registered
    When phone 1001 asks to register for 30 seconds
    Then the registrar answers 423 Interval Too Brief with Min-Expires 60
    And a call from 1002 to 1001 fails with 480

  @project-default @in-process @cap-calls
  Scenario: A phone refreshes its registration before it expires and stays reachable
    Given the registrar's minimum registration interval is 1 second
    And phone 1001 is registered for 2 seconds
    And phone 1002 is registered
    When 3 seconds pass
    Then 1001 has refreshed its registration
    And 1002 can reach 1001

  @project-default @in-process @cap-calls @cap-numbering
  Scenario: A registration that is not refreshed expires
    Given the registrar's minimum registration interval is 1 second
    And phone 1002 is registered
    And phone 1001 registers once for 2 seconds and never refreshes
    When the registration of 1001 expires
    Then a call from 1002 to 1001 fails with 480
    And 1001 does not ring

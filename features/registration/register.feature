# Manual, Process Server: the PBX acts as registrar (RFC 3261 §10) and
# authenticates subscribers with digest (RFC 3261 §22); timers and the
# numbers used are ours.
Feature: Registering a phone
  A subscriber's phone registers its contact address with the PBX's
  registrar, which authenticates it, and is reachable at that address
  until the registration is removed or expires.

  @manual
  Scenario: A registered phone can be called
    Given phone 1001 is registered
    And phone 1002 is registered
    Then the registration of 1001 is accepted
    And 1002 can reach 1001

  @manual
  Scenario: A wrong password is refused and leaves the phone unregistered
    Given phone 1001 is not registered
    And phone 1002 is registered
    When phone 1001 tries to register with a wrong password
    Then the registration is refused with 401 or 403
    And a call from 1002 to 1001 fails with 480
    And 1001 does not ring

  @manual @in-process
  Scenario: A registration shorter than the minimum interval is refused with 423
    Given the registrar's minimum registration interval is 60 seconds
    And phone 1002 is registered
    When phone 1001 asks to register for 30 seconds
    Then the registrar answers 423 Interval Too Brief with Min-Expires 60
    And a call from 1002 to 1001 fails with 480

  @manual @in-process
  Scenario: A phone refreshes its registration before it expires and stays reachable
    Given the registrar's minimum registration interval is 1 second
    And phone 1001 is registered for 2 seconds
    And phone 1002 is registered
    When 3 seconds pass
    Then 1001 has refreshed its registration
    And 1002 can reach 1001

  @manual @in-process
  Scenario: A registration that is not refreshed expires
    Given the registrar's minimum registration interval is 1 second
    And phone 1002 is registered
    And phone 1001 registers once for 2 seconds and never refreshes
    When the registration of 1001 expires
    Then a call from 1002 to 1001 fails with 480
    And 1001 does not ring

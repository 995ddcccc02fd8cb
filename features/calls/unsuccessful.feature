# Calls that do not connect. The digest lists CANCEL among the requests the
# process server handles (manual). It says nothing of a busy callee (the
# 486 is RFC 3261's), and it wants a prompt or tone for vacant and
# unregistered numbers (Call Services ch. 1): returning 404 and 480 to a
# SIP phone, and the no-answer timer, are our defaults.
@rfc3261 @cap-registrar @cap-calls
Feature: Unsuccessful calls
  A call that cannot be completed ends with a final status the caller can
  act on, and every phone that rang stops ringing.

  @project-default
  Scenario: A busy callee
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 is busy
    When 1001 calls 1002
    Then the call fails with 486

  @manual
  Scenario: The caller gives up while the callee rings
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    And 1001 hears ringing
    When 1001 hangs up
    Then the call fails with 487
    And 1002 stops ringing

  @project-default @in-process @cap-b2bua
  Scenario: An unanswered call ends when the no-answer timer expires
    Given the no-answer timer is 2 seconds
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    And the call fails with 480
    And 1002 stops ringing

  @project-default @cap-numbering
  Scenario: A number that is not assigned
    Given phone 1001 is registered
    When 1001 calls a number that is not assigned
    Then the call fails with 404

  @project-default @cap-numbering
  Scenario: A subscriber that is not registered
    Given phone 1001 is registered
    And phone 1002 is not registered
    When 1001 calls 1002
    Then the call fails with 480

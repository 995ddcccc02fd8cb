# Service: secretary
# Secretary service — boss/secretary filtering (the manual's Call
# Services; the chapter is unread: codes and details are our choices, as
# an Asterisk or FreeSWITCH "executive/assistant" user expects). Calls to
# a boss go to the boss's secretary, except calls from the secretary, the
# boss, and the callers on the boss's allowed list; the secretary puts a
# caller through with the ordinary blind or attended transfer (the
# transfer is the secretary's own call, so it rings the boss).
#
#   *53#   filtering on   (the boss)
#   #53#   filtering off  (the boss)
#
# Configured per boss (services.secretary.bosses: secretary, allowed,
# filter on|off, default on); the boss's code beats the configuration, a
# subscriber who is no boss gets 403 for the codes. A filtered call is a
# diversion on the PBX's one redirection mechanism: the caller gets 181,
# the secretary's INVITE a Diversion entry (RFC 5806) naming the boss with
# the reason "unconditional", the CDR the path. The secretary's own
# services then apply to it (DND: the caller hears busy; the secretary's
# forwards). The boss's unconditional forward comes before the filter (the
# boss's own choice); the filter comes before the boss's DND and call
# waiting (a filtered call never rings the boss). The switch is the
# boss's: srv-switch secretary off for the boss turns the filter off.
@in-process @cap-registrar @cap-calls @cap-service-secretary
Feature: Secretary service (boss/secretary filtering)
  A boss's calls go to the secretary, who puts through those the boss
  wants; some callers reach the boss directly.

  @project-default @rfc5806 @pbx-files @cap-service-forwarding
  Scenario: A call to the boss goes to the secretary
    Given 1002 is a boss whose secretary is 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then 1001 is told the call is being forwarded
    And the call reaches 1003 diverted from 1002 with reason unconditional
    And no call reached 1002
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call record shows the call to 1003 diverted from 1002

  @project-default
  Scenario: A caller on the boss's allowed list rings the boss
    Given 1002 is a boss whose secretary is 1003
    And 1004 may call boss 1002 directly
    And phone 1002 is registered
    And phone 1003 is registered
    And phone 1004 is registered
    When 1004 calls 1002
    Then 1002 rings
    And no call reached 1003
    When 1004 hangs up
    Then the call fails with 487

  @project-default
  Scenario: The secretary rings the boss
    Given 1002 is a boss whose secretary is 1003
    And phone 1002 is registered
    And phone 1003 is registered
    When 1003 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1003 and 1002 hear each other
    When 1003 hangs up
    Then the call ends normally

  @project-default @cap-service-transfer
  Scenario: The secretary puts the caller through to the boss
    Given 1002 is a boss whose secretary is 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1003 transfers the call to 1002
    Then 1002 rings
    When 1002 answers
    Then the transfer succeeds
    And 1003 is disconnected by the PBX
    And 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

  @project-default
  Scenario: The boss turns filtering off and on from the phone
    Given 1002 is a boss whose secretary is 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1002 turns secretary filtering off
    Then the PBX confirms the code to 1002
    When 1001 calls 1002
    Then 1002 rings
    When 1001 hangs up
    Then the call fails with 487
    When 1002 turns secretary filtering on
    Then the PBX confirms the code to 1002
    When 1001 calls 1002, which is forwarded to 1003
    Then 1003 rings
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario: Filtering off by configuration rings the boss
    Given 1002 is a boss whose secretary is 1003
    And boss 1002 has filtering off by configuration
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    And no call reached 1003
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario: A subscriber who is no boss may not use the filtering code
    Given 1002 is a boss whose secretary is 1003
    And phone 1001 is registered
    When 1001 turns secretary filtering on
    Then the call fails with 403

  @project-default
  Scenario: A malformed filtering code is refused with 484
    Given 1002 is a boss whose secretary is 1003
    And phone 1002 is registered
    When 1002 dials the secretary code "*53*1003#"
    Then the call fails with 484

  @project-default @negative-control
  Scenario: With the service switched off for the boss the boss rings and the code is refused
    Given 1002 is a boss whose secretary is 1003
    And the service "secretary" is switched off for 1002
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    And no call reached 1003
    When 1001 hangs up
    Then the call fails with 487
    When 1002 turns secretary filtering off
    Then the call fails with 403

  @project-default @cap-service-dnd
  Scenario: A secretary on do not disturb: the boss's caller gets busy
    Given 1002 is a boss whose secretary is 1003
    And 1003 has do not disturb on by configuration
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then the call fails with 486
    And no call reached 1002
    And no call reached 1003

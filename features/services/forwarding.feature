# Service: forwarding
# Call forwarding (the manual's Call Services): unconditional, on busy, on
# no reply and on unreachable (not registered), configured per subscriber
# (services.forward.subscribers) or set from the phone with the codes of
# the manual digest's project-default table:
#
#   *57*number#  #57#   unconditional
#   *40*number#  #40#   on busy (every contact busy, or do not disturb)
#   *41*number#  #41#   on no reply (after services.forward.no_reply_after)
#   *42*number#  #42#   on unreachable (42 is our choice: the digest has none)
#
# Our choices (project default), as RFC 5359 §2.4-2.7 and an Asterisk user
# expect: a code is confirmed like every feature code (200, confirmation
# tone, the PBX hangs up); the phone's setting beats the configured one of
# the same kind (#40# turns a configured forward off). The target number
# goes through number analysis again for the ORIGINAL CALLER (its call
# authority applies to the forwarded leg). Each hop is a diversion on the
# PBX's one redirection mechanism: the caller gets 181, the INVITE to the
# target a Diversion entry (RFC 5806) with the reason unconditional,
# user-busy, no-answer or unavailable, and the CDR's reason lists the path.
# A forward back to a number the call was diverted from is a loop: 482
# Loop Detected; more than services.forward.max_hops (5) forwards: 483.
# Forwards set from the phone are kept in the PBX's store across restarts
# (proven by the pbx package's TestForward: the in-process harness does
# not restart a PBX).
@in-process @cap-registrar @cap-calls @cap-numbering @cap-service-forwarding
Feature: Call forwarding
  A subscriber's calls go to another number: always, when busy, when not
  answered, or when not registered.

  @project-default @rfc5806 @pbx-files
  Scenario: Unconditional forwarding by configuration
    Given 1002 forwards calls unconditionally to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then 1001 is told the call is being forwarded
    And the call reaches 1003 diverted from 1002 with reason unconditional
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call record shows the call to 1003 diverted from 1002

  @project-default @rfc5806
  Scenario: Forwarding on busy
    Given 1002 forwards calls on busy to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 is busy
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason user-busy
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @rfc5806
  Scenario: Forwarding on no reply after the no-reply time
    Given 1002 forwards calls on no reply to 1003
    And the no-reply time is 1 second
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason no-answer
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @rfc5806
  Scenario: Forwarding when the subscriber is not registered
    Given 1002 forwards calls when unreachable to 1003
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason unavailable
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario Outline: Forwarding set from the phone, the code ending with <end>
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1002 sets call forwarding unconditionally to 1003, ending the code with <end>
    Then the PBX confirms the code to 1002
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason unconditional
    When 1001 hangs up
    Then the call fails with 487

    Examples:
      | end     |
      | #       |
      | %23     |
      | nothing |

  @project-default
  Scenario: A forward cleared from the phone beats the configured one
    Given 1002 forwards calls unconditionally to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    When 1002 clears call forwarding unconditionally
    Then the PBX confirms the code to 1002
    When 1001 calls 1002
    Then 1002 rings
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario: A chain of forwards carries every hop
    Given 1002 forwards calls unconditionally to 1003
    And 1003 forwards calls on busy to 1004
    And phone 1001 is registered
    And phone 1003 is registered
    And phone 1003 is busy
    And phone 1004 is registered
    When 1001 calls 1002, which is forwarded to 1004
    Then the call reaches 1004 diverted from 1003 with reason user-busy
    And the call reaches 1004 diverted from 1002 with reason unconditional
    When 1001 hangs up
    Then the call fails with 487

  @project-default @rfc3261
  Scenario: A forwarding loop ends with 482
    Given 1002 forwards calls unconditionally to 1003
    And 1003 forwards calls unconditionally to 1002
    And phone 1001 is registered
    When 1001 calls 1002
    Then the call fails with 482

  @project-default @rfc3261
  Scenario: A chain longer than the hop limit ends with 483
    Given calls may be forwarded at most 1 time
    And 1002 forwards calls unconditionally to 1003
    And 1003 forwards calls unconditionally to 1004
    And phone 1001 is registered
    And phone 1004 is registered
    When 1001 calls 1002
    Then the call fails with 483

  @project-default
  Scenario: With call forwarding switched off for the subscriber its codes are refused and its forwards ignored
    Given the service "forward" is switched off for 1002
    And 1002 forwards calls unconditionally to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    When 1002 sets call forwarding unconditionally to 1003, ending the code with #
    Then the call fails with 403
    When 1001 calls 1002
    Then 1002 rings
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario: A malformed forwarding code
    Given phone 1002 is registered
    When 1002 sets call forwarding on busy to 1002, ending the code with #
    Then the call fails with 484

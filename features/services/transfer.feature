# Service: transfer
# Call transfer (issue 11, Call Services). The manual digest has no
# transfer chapter, so this is RFC 5589 as an Asterisk user expects it:
# - blind: the transferor sends REFER (Refer-To: the target's number); the
#   PBX answers 202, tells it the progress in NOTIFYs of message/sipfrag
#   (RFC 3515 §2.4.4), analyses the target as a call of the transferor's
#   and rings it showing the transferee's number. While the target rings
#   the transferee stays with the transferor as it was (on hold, if the
#   transferor held it). The target answers: the transferee and the target
#   talk, the transferor gets NOTIFY "200 OK" and then BYE. The target fails
#   (busy, rejects, no answer): the transferor gets its status and is still
#   in the call with the transferee; a transferor that hung up meanwhile
#   leaves the transferee to a BYE.
# - attended: the transferor talks to the target itself first, then REFERs
#   the transferee with Replaces naming its call with the target (RFC
#   3891): the transferee and the target are joined without a new call to
#   the target, and both of the transferor's calls end.
# - while the target rings (our choices, as Asterisk users expect): a
#   blind transferor may hang up once its REFER is accepted; the target
#   rings on and, answering, talks to the transferee. An attended transfer
#   completed before the target answers (REFER with Replaces naming the
#   transferor's call that still rings, "semi-attended"): that ringing call
#   has no answered party to hand over, so the PBX ends it (CANCEL to the
#   target, 487 to the transferor) and transfers the transferee blind to
#   the number it rang — the target rings again at once, showing the
#   transferee (pbx/transfer_ringing.go).
# - records: the transferred call's record ends "transferred to <target>";
#   the transferee and the target get a record of their own.
@project-default @cap-registrar @cap-calls @cap-service-transfer
Feature: Call transfer
  A party to a call hands the other party to a third number, blind or
  after talking to it first; when the third number cannot take the call,
  the call goes on as before.

  Scenario: Blind transfer to a number that answers
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    And 1001 transfers the call to 1003
    Then 1003 rings
    When 1003 answers
    Then the transfer succeeds
    And 1001 is disconnected by the PBX
    And 1002 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  Scenario: Blind transfer to a busy number leaves the call as it was
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    And phone 1003 is busy
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 transfers the call to 1003
    Then the transfer fails with 486
    And 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  Scenario: Attended transfer after talking to the target
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    And 1001 calls 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 transfers 1002 to 1003
    Then the transfer succeeds
    And 1001 is disconnected by the PBX
    And 1002 and 1003 hear each other
    When 1002 hangs up
    Then the call ends normally

  Scenario: Blind transfer to a number that is not assigned
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1002 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1001 and 1002 hear each other
    When 1001 transfers the call to a number that is not assigned
    Then the transfer fails with 404
    And 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

  Scenario: Blind transfer completes while the target still rings
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    And 1001 transfers the call to 1003
    Then 1003 rings
    When 1001 hangs up before the transfer target answers
    And 1003 answers
    Then 1002 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  Scenario: Attended transfer completed before the target answers
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    And 1001 calls 1003
    Then 1003 rings
    And 1001 hears ringing
    When 1001 transfers 1002 to 1003 while it rings
    Then 1001's ringing call to 1003 ends with 487
    And 1003 rings
    When 1003 answers
    Then the transfer succeeds
    And 1001 is disconnected by the PBX
    And 1002 and 1003 hear each other
    When 1002 hangs up
    Then the call ends normally

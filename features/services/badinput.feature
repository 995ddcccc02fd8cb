# Service: bad-input | none: issue 11 (bad input from a phone)
# Bad input from a phone (issue 11): unknown feature codes, codes of a
# service switched off for the caller, malformed codes, a REFER whose
# Refer-To names nowhere, a Replaces naming no dialog. Each gets its SIP
# answer; nothing crashes and nothing is left half-up: after each scenario
# the PBX has no call in progress and has written a finished record for
# every call it took (the CDR store, so @pbx-files).
#
# Our choices where the manual is silent (project default, the answers an
# Asterisk or FreeSWITCH user gets for the same mistakes):
#   - a code in the *NN*...# form that no service knows is a number like
#     any other: number analysis finds nothing, the vacant-number prompt
#     (manual, Call Services ch. 1) and 404;
#   - a code of a service switched off for the caller: 403 (manual digest:
#     "a service not enabled for the subscriber gives an error tone / 403");
#   - a code of a known service whose digits do not parse (a missing or
#     malformed number, a code of the wrong length): 484 Address
#     Incomplete;
#   - a REFER without exactly one Refer-To, or one that is no SIP URI: 400,
#     and the call goes on (RFC 3515 §2.4.1); a Refer-To naming a number
#     nobody has: 202, then NOTIFY "404" and the call goes on (RFC 5589);
#   - a Replaces naming no dialog: in a REFER, 202 then NOTIFY "481"; in an
#     INVITE, 481 Call/Transaction Does Not Exist (RFC 3891 §3).
@in-process @pbx-files @cap-registrar @cap-calls @cap-numbering
Feature: Bad input from a phone
  A wrong code or request gets its answer; no call is left half-up and
  every call has its record.

  @project-default
  Scenario Outline: An unknown feature code <code> is a vacant number
    Given phone 1001 is registered
    When 1001 dials the code "<code>"
    Then the call fails with 404
    And no call is left up and the PBX wrote 1 finished call record

    Examples:
      | code   |
      | *77#   |
      | #77#   |
      | *77*1# |

  @manual
  Scenario Outline: A code of <service>, switched off for the caller, is refused with 403
    Given the service "<service>" is switched off for 1002
    And phone 1002 is registered
    And phone 1003 is registered
    When 1002 dials the code "<code>"
    Then the call fails with 403
    And no call is left up and the PBX wrote 1 finished call record

    @cap-service-dnd
    Examples:
      | service | code |
      | dnd     | *56# |

    @cap-service-call-waiting
    Examples:
      | service | code |
      | waiting | #58# |

    @cap-service-forwarding
    Examples:
      | service | code      |
      | forward | *57*1003# |

    @cap-service-abbreviated @cap-media
    Examples:
      | service     | code         |
      | abbreviated | *51*12*1003# |

  @project-default
  Scenario Outline: A malformed code <code> is refused with 484
    Given 1001 has the pickup right
    And phone 1001 is registered
    When 1001 dials the code "<code>"
    Then the call fails with 484
    And no call is left up and the PBX wrote 1 finished call record

    @cap-service-forwarding
    Examples:
      | code  |
      | *57*# |

    @cap-service-pickup @cap-media
    Examples:
      | code    |
      | *8*12a# |

    @cap-service-abbreviated @cap-media
    Examples:
      | code        |
      | *51*1*1003# |

  @project-default @rfc3515 @cap-service-transfer
  Scenario: A REFER without Refer-To is refused and the call goes on
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 sends a REFER without Refer-To
    Then the REFER is refused with 400
    And 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
    And no call is left up and the PBX wrote 1 finished call record

  @project-default @rfc3515 @cap-service-transfer
  Scenario: A REFER whose Refer-To is no SIP URI is refused and the call goes on
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 sends a REFER with Refer-To "<nowhere at all>"
    Then the REFER is refused with 400
    And 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
    And no call is left up and the PBX wrote 1 finished call record

  @project-default @rfc5589 @cap-service-transfer
  Scenario: A REFER to a number nobody has fails with 404 and the call goes on
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 transfers the call to a number that is not assigned
    Then the transfer fails with 404
    And 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
    And no call is left up and the PBX wrote 1 finished call record

  @project-default @rfc3891 @cap-service-transfer
  Scenario: A REFER whose Replaces names no dialog fails with 481 and the call goes on
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 transfers the call to 1003 replacing a dialog that does not exist
    Then the transfer fails with 481
    And 1003 was never rung
    And 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
    And no call is left up and the PBX wrote 1 finished call record

  @project-default @rfc3891 @cap-service-transfer
  Scenario: An INVITE whose Replaces names no dialog gets 481
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002 replacing a dialog that does not exist
    Then the call fails with 481
    And 1002 was never rung
    And no call is left up and the PBX wrote 1 finished call record

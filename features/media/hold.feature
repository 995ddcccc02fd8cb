# Service: hold
# Music on hold (manual: the media server plays music on hold to a held
# party). How hold is signalled is RFC 3264 §8.4's: a re-INVITE whose offer
# is a=sendonly or a=inactive (or, from older phones, c=0.0.0.0, RFC 2543);
# a=sendrecv resumes. The PBX's built-in tune is pure notes between 196 and
# 294 Hz, which a phone's audio check tells from any phone's identity.
@cap-registrar @cap-calls @cap-media @cap-moh
Feature: Music on hold
  A party put on hold hears music on hold, and not the other party, until
  the call is resumed; then both hear each other again.

  @manual
  Scenario: The held party hears music on hold and not the holder; resume restores two-way audio
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 hears the music on hold
    And 1002 does not hear 1001
    And 1001 does not hear 1002
    When 1001 resumes the call
    Then 1001 and 1002 hear each other
    And 1002 does not hear the music on hold
    When 1001 hangs up
    Then the call ends normally

  @manual
  Scenario Outline: The callee holds the caller with <hold>
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 puts the call on hold with <hold>
    Then 1001 hears the music on hold
    And 1001 does not hear 1002
    When 1002 resumes the call
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

    Examples:
      | hold       |
      | a=inactive |
      | c=0.0.0.0  |

  @project-default @in-process @negative-control
  Scenario: With the media server switched off a hold passes through without music
    Given the media server is switched off
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 does not hear the music on hold
    When 1001 hangs up
    Then the call ends normally

# Number analysis (the manual's Location Server module: the XE "analyses
# the dialled number, finds the called device"; issue 10). Entries of the
# numbering plan (config numbering.entries) match a dialled number by
# prefix and by length (min..max digits); the longest prefix whose range
# holds the number decides where the call goes. Subscribers are entries of
# their own (their exact number).
#
# What a caller hears when analysis finds nothing (project defaults where
# the manual names no SIP status):
#   - a number no entry can ever take is vacant: the vacant-number prompt
#     (manual, Call Services ch. 1: call interception) then 404 Not Found;
#   - a number that is too short for an entry it begins, or the beginning
#     of a longer prefix, is incomplete: 484 Address Incomplete (RFC 3261
#     §21.4.22), so a phone that sends digits as they come may add more;
#   - a number longer than every entry allows is vacant too (404);
#   - an entry of kind reject refuses its numbers with its own cause
#     (numbering.entries[].cause, 403 by default).
@in-process @cap-calls @cap-numbering
Feature: Number analysis and vacant numbers
  The PBX reads a dialled number against its numbering plan: the longest
  matching prefix whose length range holds the number decides where the
  call goes. A number nobody has is vacant, one still too short is
  incomplete, and an entry may refuse its numbers with a cause of its own.

  Background:
    Given numbers starting with 8, 4 to 6 digits long, reach 1002
    And numbers starting with 81, 4 to 6 digits long, reach 1003

  @manual @cap-prompts @cap-media @cap-early-media
  Scenario: A vacant number gets the vacant-number prompt, then 404
    Given the PBX plays the US busy tone for 3 seconds to calls to a vacant number
    And phone 1001 is registered
    When 1001 dials the number 7777
    Then 1001 hears the US busy tone in early media
    And the call fails with 404

  @manual
  Scenario: The longest matching prefix decides where the call goes
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 dials 8123 to reach 1003
    Then 1003 rings
    When 1003 answers
    And 1001 hangs up
    Then the call ends normally

  @manual
  Scenario: A number of the shorter prefix reaches its own subscriber
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials 82345 to reach 1002
    Then 1002 rings
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally

  @project-default @rfc3261
  Scenario: Too few digits for the entry they begin: 484 Address Incomplete
    Given phone 1001 is registered
    When 1001 dials the number 812
    Then the call fails with 484

  @project-default
  Scenario: More digits than any entry allows: vacant, 404
    Given phone 1001 is registered
    When 1001 dials the number 8123456
    Then the call fails with 404

  @manual
  Scenario Outline: An entry of kind reject refuses numbers starting with <prefix> with <cause>
    Given numbers starting with <prefix> are refused with <cause>
    And phone 1001 is registered
    When 1001 dials the number <number>
    Then the call fails with <cause>

    Examples:
      | prefix | number   | cause |
      | 900    | 9001234  | 403   |
      | 901    | 90155555 | 603   |

# Service: caller-id
# Caller ID presentation and restriction (CLIP/CLIR). A caller who
# withholds its number is shown to the callee as "Anonymous"
# <sip:anonymous@anonymous.invalid> with Privacy: id (RFC 3323), on
# internal calls as on calls out; the CDR keeps the real caller.
#
# Our choices (project default; the manual is silent), codes as users of
# Asterisk (NANP *67 / *82) and of ETSI exchanges (*31#) know them:
#   *31#         permanent CLIR on (confirmation tone)
#   #31#         permanent CLIR off (confirmation tone)
#   *67<num>     hide the number on this call
#   *31*<num>#   hide the number on this call (the *NN*…# style)
#   *82<num>     show the number on this call, whatever CLIR says
# The phone's permanent setting beats subscribers[].clir and is kept in
# the PBX's store across restarts. The hiding codes are the service clir,
# the showing code the service clip (srv-switch clir|clip off for the
# caller: 403). A code without a number, or with a number that is not
# digits, gets 484; a trunk's caller dialling them gets 403.
@in-process @cap-registrar @cap-calls @cap-service-callerid
Feature: Caller ID presentation and restriction
  A caller decides whether the callee sees its number.

  @project-default
  Scenario: The callee sees the caller's number by default
    Given phones 1001 to 1002 are registered
    When 1001 calls 1002
    Then 1002 sees the call from 1001
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally

  @project-default @pbx-files
  Scenario Outline: Hiding the number for one call with <code>
    Given phones 1001 to 1002 are registered
    When 1001 calls 1002 with the caller ID code "<code>"
    Then 1002 sees the call as Anonymous
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally
    And the call record keeps 1001 as the caller of 1002

    Examples:
      | code       |
      | *67        |
      | *31*{num}# |

  @project-default @cap-media
  Scenario: Permanent restriction set and cleared from the phone
    Given phones 1001 to 1002 are registered
    When 1001 turns caller ID restriction on
    Then the PBX confirms the code to 1001
    When 1001 calls 1002
    Then 1002 sees the call as Anonymous
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally
    When 1001 turns caller ID restriction off
    Then the PBX confirms the code to 1001
    When 1001 calls 1002
    Then 1002 sees the call from 1001
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario: Restriction by configuration hides the number on internal calls
    Given 1001 withholds its number by configuration
    And phones 1001 to 1002 are registered
    When 1001 calls 1002
    Then 1002 sees the call as Anonymous
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario: The show code overrides a permanent restriction for one call
    Given 1001 withholds its number by configuration
    And phones 1001 to 1002 are registered
    When 1001 calls 1002 with the caller ID code "*82"
    Then 1002 sees the call from 1001
    When 1002 answers
    And 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario Outline: A caller ID code without a number is refused: <code>
    Given phone 1001 is registered
    When 1001 dials the caller ID code "<code>"
    Then the call fails with 484

    Examples:
      | code   |
      | *67    |
      | *82    |
      | *31*#  |
      | *67abc |

  @project-default
  Scenario Outline: A caller ID service switched off refuses its code: <service>
    Given the service "<service>" is switched off for 1001
    And phones 1001 to 1002 are registered
    When 1001 calls 1002 with the caller ID code "<code>"
    Then the call fails with 403

    Examples:
      | service | code |
      | clir    | *67  |
      | clip    | *82  |

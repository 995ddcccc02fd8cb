# Service: password
# The password call service (manual, Call Services: a 4-digit password
# after an access code; services.password, switch password). The manual
# digest gives no more; our choices (project default), as Asterisk's
# authorization codes and FreeSWITCH's PIN dialling users expect:
# - each subscriber may have a 4-digit call password, set by the
#   administrator in services.password.passwords, plain or hashed
#   ("sha256:" + hex SHA-256 of "<number>:<password>"); two subscribers
#   may not share a password: the password names its owner;
# - *47*ABCD*<number># from any phone of the PBX calls number with the
#   outgoing call authority (and inter-group restriction, and service
#   switches) of the password's owner; the phone's own number is still the
#   calling number presented;
# - a wrong password is refused like a barred call: the barred prompt,
#   then 403; a *47 code that does not parse (a password not of 4 digits,
#   no number) gets 484; the service switched off for the phone: 403;
# - call intervention's password variant (*89*ABCD<number>#,
#   intervention.feature) uses the same passwords.
@in-process @cap-registrar @cap-calls @cap-service-password
Feature: Password calls
  A subscriber's 4-digit password carries its outgoing authority to any phone.

  @project-default
  Scenario: A password call reaches the number dialled after the password
    Given 1001 has the call password 1234
    And phones 1000 to 1002 are registered
    When 1000 places a password call to 1002 with the password 1234
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: The call runs with the password owner's authority
    Given 1000 is in group "guests"
    And 1001 is in group "board"
    And 1003 is in group "board"
    And group "guests" may not call group "board"
    And 1001 has the call password 1234
    And phones 1000 to 1003 are registered
    Then a call from 1000 to 1003 fails with 403
    When 1000 places a password call to 1003 with the password 1234
    Then 1003 rings
    When 1003 answers
    Then 1000 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  @project-default
  Scenario: A hashed password works like a plain one
    Given 1001 has the call password 4321, stored hashed
    And phones 1000 to 1002 are registered
    When 1000 places a password call to 1002 with the password 4321
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

  @project-default @cap-prompts @cap-early-media
  Scenario: A wrong password hears the barred prompt, then 403
    Given the PBX plays the US error tone for 2 seconds to calls to a barred number
    And 1001 has the call password 1234
    And phones 1000 to 1002 are registered
    When 1000 places a password call to 1002 with the password 9999
    Then 1000 hears the US error tone in early media
    And the call fails with 403

  @project-default
  Scenario: The password service switched off refuses the code
    Given 1001 has the call password 1234
    And the service "password" is switched off for 1000
    And phones 1000 to 1002 are registered
    When 1000 places a password call to 1002 with the password 1234
    Then the call fails with 403

  @project-default
  Scenario Outline: A malformed password code "<code>" gets 484
    Given 1001 has the call password 1234
    And phones 1000 to 1002 are registered
    When 1000 dials the password code "<code>"
    Then the call fails with 484

    Examples:
      | code           |
      | *47*12*1002#   |
      | *47*1234#      |
      | *47*1234*10a2# |

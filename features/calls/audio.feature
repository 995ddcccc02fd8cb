# Negative controls for the audio check. How audio is proven is our own
# choice (the manual says nothing about it): every phone sends an identity,
# two tones derived from its number, and each leg must hear the other's
# identity and not its own. Each scenario below makes the check FAIL on one
# leg for a reason other than a muted phone, and shows the other leg still
# passes, so a misrouted call, an echo and one-way audio are known to be
# caught. (The muted phone is in basic.feature.)
@project-default @negative-control @cap-registrar @cap-calls
Feature: The audio check catches the wrong party, echo and one-way audio
  A call only counts as connected with audio when each side hears the
  other side's own identity.

  Background:
    Given phone 1001 is registered
    And phone 1002 is registered

  Scenario: A callee sending another number's identity is not heard as the callee
    Given phone 1002 sends the audio identity of 1003
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1002 hears 1001
    But 1001 hears 1003 instead of 1002
    When 1001 hangs up
    Then the call ends normally

  Scenario: The caller's own audio looped back by the callee is not the callee
    Given phone 1002 echoes the audio it receives
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1002 hears 1001
    But 1001 hears its own audio instead of 1002
    When 1001 hangs up
    Then the call ends normally

  Scenario: Audio that flows one way only fails the check the other way
    Given phone 1002 advertises a media port where nothing listens
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 hears 1002
    But 1002 hears nothing from 1001
    When 1001 hangs up
    Then the call ends normally

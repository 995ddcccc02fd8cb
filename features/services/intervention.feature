# Service: intervention | Call Services ch. 17
# Call intervention (manual, Call Services ch. 17; services.intervention,
# switch ci: srv-switch ci on|off): while A talks to B, C dials *89*
# + A's number + # and talks to A while A's partner B hears call-waiting
# music. C dials *89# to leave: the A–B call resumes. If C hangs up
# instead, the original call ends. With the password service: *89* + ABCD
# + A's number. The media server is needed (off: busy tone).
#
# Our choices (project default, where the manual is silent):
# - the intervention right is configuration (services.intervention.right),
#   besides the switch: with ci on and nobody named, nobody intervenes
#   (403); services.intervention.protected lists subscribers nobody may
#   intervene on (403); C must be allowed to call A (outgoing call
#   authority, inter-group restriction; else 403);
# - *89# is sent by C as DTMF inside the intervention call (RFC 4733
#   telephone-events, or SIP INFO application/dtmf-relay): the PBX relinks
#   A and B and sends C a BYE. A phone that cannot send DTMF dials *89# as
#   a new call, confirmed like a feature code (tone, then release);
# - the call-waiting music is the media server's music on hold (media.moh);
#   A and C are seated in a two-party room of the media server; nobody gets
#   a re-INVITE (A's call must be anchored, media relay, the default; a
#   direct-media call gives 480);
# - with the password, the password's owner must have the right (the
#   password carries its owner's rights to any phone);
# - A in no answered call: 480 (with the prompt of an unavailable
#   subscriber); A in a conference room (or another call the PBX answered
#   itself: IVR, voicemail) or already intervened on: 486, the conference
#   goes on untouched; a *89 code that does not parse: 484.
@in-process @cap-registrar @cap-calls @cap-media @cap-service-intervention
Feature: Call intervention
  A subscriber with the right breaks into another subscriber's call.

  @manual
  Scenario: C intervenes; B hears call-waiting music; *89# gives A and B back to each other
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then 1003 talks to 1001 while 1002 hears the call-waiting music
    And 1002 does not hear 1001
    When 1003 leaves the intervention by sending *89# as DTMF
    Then 1003's intervention call is ended by the PBX
    And 1001 and 1002 talk again

  @manual
  Scenario: C hangs up instead of leaving: the original call ends
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then 1003 talks to 1001 while 1002 hears the call-waiting music
    When 1003 hangs up
    Then the call between 1001 and 1002 is ended by the PBX

  @project-default
  Scenario: *89# dialled as a new call leaves the intervention
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then 1003 talks to 1001 while 1002 hears the call-waiting music
    When 1003 leaves the intervention by dialling *89#
    Then the *89# call is confirmed
    And 1003's intervention call is ended by the PBX
    And 1001 and 1002 talk again

  @project-default
  Scenario: When B hangs up during the intervention, C's call ends too
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then 1003 talks to 1001 while 1002 hears the call-waiting music
    When 1002 hangs up the call with 1001
    Then 1003's intervention call is ended by the PBX

  @manual @cap-service-password
  Scenario: Intervention with a call password: *89*ABCD<number>#
    Given 1004 has the intervention right
    And 1004 has the call password 5678
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001 with the password 5678
    Then 1003 talks to 1001 while 1002 hears the call-waiting music
    When 1003 hangs up
    Then the call between 1001 and 1002 is ended by the PBX

  @project-default @cap-service-password @cap-prompts @cap-early-media
  Scenario: A wrong password is refused with the barred prompt and 403
    Given the PBX plays the US error tone for 2 seconds to calls to a barred number
    And 1004 has the intervention right
    And 1004 has the call password 5678
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001 with the password 1111
    Then 1003 hears the US error tone in early media
    And the call fails with 403
    And 1001 and 1002 hear each other

  @manual
  Scenario: Without the intervention right nobody intervenes
    Given phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then the call fails with 403
    And 1001 and 1002 hear each other

  @manual
  Scenario: srv-switch ci off refuses the code
    Given 1003 has the intervention right
    And the service "ci" is switched off for 1003
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then the call fails with 403
    And 1001 and 1002 hear each other

  @manual
  Scenario: Intervention needs the media server
    Given the media server is switched off
    And 1003 has the intervention right
    And phones 1001 to 1003 are registered
    When 1003 intervenes in the call of 1001
    Then the call fails with 486

  @project-default
  Scenario: A subscriber in no call cannot be intervened on
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    When 1003 intervenes in the call of 1001
    Then the call fails with 480

  @project-default
  Scenario: A protected subscriber cannot be intervened on
    Given 1003 has the intervention right
    And 1001 is protected from intervention
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 intervenes in the call of 1001
    Then the call fails with 403
    And 1001 and 1002 hear each other

  @project-default
  Scenario Outline: A malformed intervention code "<code>" gets 484
    Given 1003 has the intervention right
    And phones 1001 to 1003 are registered
    When 1003 dials the intervention code "<code>"
    Then the call fails with 484

    Examples:
      | code      |
      | *89*#     |
      | *89*10a1# |
      | *89*1001*2# |

  @project-default @cap-service-conference
  Scenario: A subscriber in a conference room is not intervened on; the conference goes on
    Given conference room 3000 is configured
    And 1003 has the intervention right
    And phones 1001 to 1003 are registered
    When phones 1001 to 1002 join conference 3000
    And 1003 intervenes in the call of 1001
    Then the call fails with 486
    And each member of conference 3000 hears every other member and not itself
    When everyone leaves conference 3000
    Then every call to conference 3000 ended normally

# Service: presence
# Presence / busy lamp field (BLF): a subscriber watches another
# extension's line by SUBSCRIBE to the dialog event package (RFC 4235,
# over RFC 6665). The manual is silent; our choices (project default), as
# Asterisk and FreeSWITCH users expect:
#
# - The SUBSCRIBE's Request-URI user is the watched extension; the watcher
#   authenticates by digest like any request (401 challenge). The PBX
#   answers 200 with Expires (at most voicemail.mwi_expires, default
#   3600 s: one subscription manager serves MWI and BLF), then a NOTIFY at
#   once and on every change of the line, Content-Type
#   application/dialog-info+xml, state="full", the version counting the
#   subscription's NOTIFYs from 0.
# - The line shows each call of the extension as a dialog: trying
#   (initiator) while it calls, early (recipient) while it rings, confirmed
#   once answered; an idle line is one dialog in state terminated.
# - Refresh in the subscription's dialog; Expires: 0 ends it with a final
#   NOTIFY (Subscription-State: terminated); an unrefreshed subscription
#   expires the same way.
# - Refusals: an unknown event package 489 Bad Event (with Allow-Events);
#   an extension that is no subscriber 404; every subscriber may watch
#   every line unless services.presence.watchers lists who may watch it
#   (403 for the others); srv-switch presence off for the watcher: 403.
# - DND is no dialog state: a subscriber with DND on is not rung, so its
#   lamp stays idle. A call picked up (*8*<num>#) leaves the callee's line
#   idle and the picker's talking.
# - A line rings (early) from the moment the PBX sends its INVITE. A
#   ring-all hunt group's members all ring; the member who answers talks,
#   the others go idle. A sequential hunt's members are rung inside the
#   call layer and show only once one answers (a known gap).
@in-process @cap-registrar @cap-calls @cap-service-presence @rfc4235
Feature: Presence (busy lamp field)
  A subscriber sees whether another extension is idle, ringing or in a call.

  @project-default
  Scenario: The lamp follows a call: idle, ringing, talking, idle
    Given phones 1001 to 1003 are registered
    When 1003 watches the line of 1002
    Then 1003 sees the line of 1002 idle
    When 1001 calls 1002
    Then 1002 rings
    And 1003 sees the line of 1002 ringing
    When 1002 answers
    Then 1003 sees the line of 1002 talking
    When 1001 hangs up
    Then the call ends normally
    And 1003 sees the line of 1002 idle
    And the dialog-info versions 1003 got for 1002 count up from 0

  @project-default
  Scenario: The caller's own line shows calling, then talking
    Given phones 1001 to 1003 are registered
    When 1003 watches the line of 1001
    And 1001 calls 1002
    Then 1002 rings
    And 1003 sees the line of 1001 calling
    When 1002 answers
    Then 1003 sees the line of 1001 talking
    When 1002 hangs up
    Then the call ends normally
    And 1003 sees the line of 1001 idle

  @project-default
  Scenario: Refresh, then un-subscribe with a final NOTIFY
    Given phones 1001 to 1002 are registered
    When 1001 watches the line of 1002
    And 1001 refreshes the watch of 1002 for 120 seconds
    Then the watch of 1002 by 1001 is granted 120 seconds
    When 1001 stops watching the line of 1002
    Then the watch of 1002 by 1001 ends with a final NOTIFY

  @project-default
  Scenario: An unrefreshed watch expires with a final NOTIFY
    Given phones 1001 to 1002 are registered
    When 1001 watches the line of 1002 for 1 second
    Then the watch of 1002 by 1001 ends with a final NOTIFY

  @project-default
  Scenario: An unknown event package is refused with 489
    Given phones 1001 to 1002 are registered
    When 1001 subscribes to the "presence.winfo" event of 1002
    Then the watch is refused with 489

  @project-default @cap-numbering
  Scenario: Watching a number that is no extension is refused with 404
    Given phone 1001 is registered
    When 1001 tries to watch the line of 1999
    Then the watch is refused with 404

  @project-default
  Scenario: A line with a watcher list refuses others with 403
    Given the line of 1002 may be watched only by 1003
    And phones 1001 to 1003 are registered
    When 1001 tries to watch the line of 1002
    Then the watch is refused with 403
    When 1003 watches the line of 1002
    Then 1003 sees the line of 1002 idle

  @project-default
  Scenario: Presence switched off for the watcher is refused with 403
    Given the service "presence" is switched off for 1001
    And phones 1001 to 1002 are registered
    When 1001 tries to watch the line of 1002
    Then the watch is refused with 403

  @project-default @cap-service-dnd
  Scenario: A subscriber with DND on shows idle: calls do not ring it
    Given 1002 has do not disturb on by configuration
    And phones 1001 to 1003 are registered
    When 1003 watches the line of 1002
    Then 1003 sees the line of 1002 idle
    When 1001 calls 1002
    Then the call fails with 486
    And 1003 has never seen the line of 1002 ringing

  @project-default @cap-service-pickup @cap-media
  Scenario: A call picked up leaves the callee idle and the picker talking
    Given 1003 has the pickup right
    And phones 1000 to 1004 are registered
    When 1004 watches the line of 1001
    And 1004 watches the line of 1003
    And 1000 calls 1001
    Then 1001 rings
    And 1000 hears ringing
    And 1004 sees the line of 1001 ringing
    When 1003 picks up the call ringing 1001
    Then 1003 takes the call of 1000 to 1001
    And 1004 sees the line of 1001 idle
    And 1004 sees the line of 1003 talking
    When 1003 hangs up
    Then the call ends normally
    And 1004 sees the line of 1003 idle

  @project-default @cap-service-hunt
  Scenario: A ring-all hunt group's members show ringing; the one who answers shows talking
    Given hunt group 2000 rings 1001, 1002 all at once, each for 10 seconds
    And phones 1000 to 1003 are registered
    When 1003 watches the line of 1001
    And 1003 watches the line of 1002
    And 1000 calls hunt group 2000
    Then 1001, 1002 ring at once
    And 1003 sees the line of 1001 ringing
    And 1003 sees the line of 1002 ringing
    And the hunt group call goes to 1002
    When 1002 answers
    Then 1003 sees the line of 1002 talking
    And 1003 sees the line of 1001 idle
    When 1002 hangs up
    Then the call ends normally
    And 1003 sees the line of 1002 idle

# Service: notification | Call Services ch. 23
# Group notification (the manual's Call Services ch. 23): a stored media
# file (media ID), a receiver group, a time, an access code and a retry
# interval (services.notification). At the time every receiver rings; one
# who answers hears the file, then the PBX hangs up; one who does not is
# called again after the retry interval, at most 10 times; one who hangs up
# during the playback counts as having received it. In local mode a
# receiver replays the file by dialling the access code; in remote mode the
# deliverer dials the access code and speaks live to every receiver, and
# his hang-up ends it for all. Anonymous subscribers may receive but not
# use the access code. With the media server off the deliverer hears busy
# tone (486).
#
# Our choices where the manual is silent (project default):
# - the calls present the access code as the calling number (the
#   notification's name when it has none) and ring for services.notification.ring
#   (default 30 s); every contact of a receiver rings, the first to answer
#   hears the file;
# - the time is a time of day "hh:mm" in services.notification.time_zone,
#   every day, or once with a date; a remote notification has no time of
#   its own: the deliverer's access code starts it, receivers who do not
#   answer are called again while he speaks;
# - "anonymous" is a caller the PBX cannot present: no subscriber identity
#   (a trunk, a trusted peer) or a subscriber restricting its number
#   (CLIR): the access code answers 403; so does a subscriber who is no
#   receiver (local) or not the deliverer (remote);
# - the access code is switched by `srv-switch notification` for the caller.
# The scenarios' PBX runs on the wall clock, so "the time of notification
# N comes" asks the in-process PBX to deliver now, as its timer would; the
# time of day, the 10 tries and their interval are proven in virtual time
# (pbx/vtime_notify_test.go). The media file is a tone: receivers' audio is
# checked by tone detection.
@in-process @pbx-files @cap-registrar @cap-media @cap-service-notification
Feature: Group notification
  The PBX calls a group of subscribers and plays them a recorded notice,
  or lets a deliverer speak to all of them at once.

  Background:
    Given the prompts "notice" are tones of distinct frequencies

  @manual
  Scenario: At the time every receiver rings and hears the file
    Given the group notification "drill":
      | media     | notice     |
      | receivers | 1002, 1003 |
    And phone 1002 is registered
    And phone 1003 is registered
    When the time of notification "drill" comes
    Then the PBX calls 1002
    And the PBX calls 1003
    When 1002 answers the PBX's call
    And 1003 answers the PBX's call
    Then 1002 hears prompt "notice" in the PBX's call
    And 1003 hears prompt "notice" in the PBX's call
    And the PBX ends its call to 1002
    And the PBX ends its call to 1003
    And notification "drill" counts 1002 as received after 1 call

  @manual
  Scenario: A receiver who does not answer is called again after the retry interval
    Given the group notification "drill":
      | media          | notice |
      | receivers      | 1002   |
      | retry interval | 2s     |
      | ring           | 2s     |
      | max tries      | 2      |
    And phone 1002 is registered
    When the time of notification "drill" comes
    Then the PBX calls 1002
    And the PBX calls 1002 again
    And notification "drill" counts 1002 as not received after 2 calls
    And the PBX does not call 1002 again

  @manual
  Scenario: A receiver who hangs up during the playback has received it
    Given the group notification "drill":
      | media          | notice |
      | receivers      | 1002   |
      | retry interval | 2s     |
    And phone 1002 is registered
    When the time of notification "drill" comes
    Then the PBX calls 1002
    When 1002 answers the PBX's call
    And 1002 hangs up the PBX's call
    Then notification "drill" counts 1002 as received after 1 call
    And the PBX does not call 1002 again

  @manual
  Scenario: In local mode a receiver replays the file with the access code
    Given the group notification "drill":
      | media       | notice |
      | receivers   | 1002   |
      | access code | *71    |
    And phone 1002 is registered
    When 1002 dials the access code *71
    Then 1002 hears prompt "notice"
    And the PBX hangs up on 1002

  @manual
  Scenario: An anonymous subscriber receives the notification but may not use the access code
    Given the group notification "drill":
      | media       | notice |
      | receivers   | 1002   |
      | access code | *71    |
    And 1002 restricts the presentation of its number
    And phone 1002 is registered
    When the time of notification "drill" comes
    Then the PBX calls 1002
    When 1002 answers the PBX's call
    Then 1002 hears prompt "notice" in the PBX's call
    And the PBX ends its call to 1002
    When 1002 dials the code *71
    Then the call fails with 403

  @project-default
  Scenario: A subscriber who is no receiver may not use the access code
    Given the group notification "drill":
      | media       | notice |
      | receivers   | 1002   |
      | access code | *71    |
    And phone 1003 is registered
    When 1003 dials the code *71
    Then the call fails with 403

  @manual
  Scenario: In remote mode the deliverer speaks live and his hang-up ends it for all
    Given the group notification "all hands":
      | mode        | remote     |
      | deliverer   | 1001       |
      | receivers   | 1002, 1003 |
      | access code | *72        |
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 dials the access code *72
    Then the PBX calls 1002
    And the PBX calls 1003
    When 1002 answers the PBX's call
    And 1003 answers the PBX's call
    Then 1002 hears 1001 in the PBX's call
    And 1003 hears 1001 in the PBX's call
    When 1001 hangs up the access code call
    Then the PBX ends its call to 1002
    And the PBX ends its call to 1003

  @manual
  Scenario: With the media server off the deliverer hears busy tone
    Given the media server is switched off
    And the group notification "all hands":
      | mode        | remote |
      | deliverer   | 1001   |
      | receivers   | 1002   |
      | access code | *72    |
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials the code *72
    Then the call fails with 486
    And the PBX does not call 1002

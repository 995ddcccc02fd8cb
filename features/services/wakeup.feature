# Service: wake-up
# Wake-up alarm (project default: the manual's chapter on it is unread;
# the codes are the manual digest's project-default table): *55*hhmm# sets
# the alarm, #55# cancels it, each confirmed by tone. At hh:mm
# (services.wakeup.time_zone, default the host's zone) the PBX calls the
# subscriber and plays the wake-up announcement (services.wakeup.media, or
# a built-in tone: call-waiting beeps for 10 s), then hangs up.
#
# Our choices, as Asterisk and FreeSWITCH users expect:
# - the alarm rings once, at the next hh:mm after it was set (not every
#   day); answered, or out of tries, it is cleared;
# - an unanswered alarm is called again retries times retry_interval apart
#   (default 3 times, 5 minutes apart; each call rings 30 s);
# - alarms are kept in the PBX's store and armed again when it starts
#   (one whose time passed while it was down rings at its next hh:mm);
# - a time that is not hhmm (00:00-23:59, e.g. *55*2561#) is refused with
#   484 and nothing changes; a caller without subscriber identity gets 403.
# The scenarios' PBX runs on the wall clock: "the wake-up time of N comes"
# asks the in-process PBX to ring N's armed alarm now, as its timer would;
# the time of day, the default retries and the restart are proven in
# virtual time (pbx/vtime_notify_test.go). The announcement is a tone.
@in-process @pbx-files @cap-registrar @cap-media @cap-service-wakeup
Feature: Wake-up alarm
  A subscriber asks the PBX to call it at a time of day.

  @project-default
  Scenario: The PBX calls at the time and plays the wake-up announcement
    Given the prompts "wake up" are tones of distinct frequencies
    And the wake-up alarm plays "wake up" and retries 3 times every 2 seconds, ringing 5 seconds
    And phone 1002 is registered
    When 1002 dials the code *55*0630#
    Then the PBX confirms the code to 1002
    And 1002 has a wake-up alarm at 0630
    When the wake-up time of 1002 comes
    Then the PBX calls 1002
    When 1002 answers the PBX's call
    Then 1002 hears prompt "wake up" in the PBX's call
    And the PBX ends its call to 1002
    And the PBX does not call 1002 again
    And 1002 has no wake-up alarm

  @project-default
  Scenario: An unanswered alarm is tried again, then cleared
    Given the prompts "wake up" are tones of distinct frequencies
    And the wake-up alarm plays "wake up" and retries 1 time every 2 seconds, ringing 2 seconds
    And phone 1002 is registered
    When 1002 dials the code *55*0700#
    Then the PBX confirms the code to 1002
    When the wake-up time of 1002 comes
    Then the PBX calls 1002
    And the PBX calls 1002 again
    And the PBX does not call 1002 again
    And 1002 has no wake-up alarm

  @project-default
  Scenario: #55# cancels the alarm
    Given phone 1002 is registered
    When 1002 dials the code *55*0630#
    Then the PBX confirms the code to 1002
    When 1002 dials the code #55#
    Then the PBX confirms the code to 1002
    And 1002 has no wake-up alarm

  @project-default
  Scenario Outline: A malformed time <code> is refused
    Given phone 1002 is registered
    When 1002 dials the code <code>
    Then the call fails with 484
    And 1002 has no wake-up alarm

    Examples:
      | code       |
      | *55*2561#  |
      | *55*2400#  |
      | *55*123#   |
      | *55*12345# |

  @project-default
  Scenario: The service switched off refuses the code
    Given the service "wakeup" is switched off for 1002
    And phone 1002 is registered
    When 1002 dials the code *55*0630#
    Then the call fails with 403
    And 1002 has no wake-up alarm

# Service: voicemail
# Voicemail (issue 8, media server): a call that finds its callee busy or
# unanswered goes to the callee's mailbox (subscribers[].voicemail); the PBX
# answers, plays the greeting and a beep, and records the caller to a WAV.
# The owner dials the voicemail number and drives the menu by DTMF
# (RFC 4733): 1 plays the next message, 7 deletes it. Message waiting
# indication is RFC 3842's message-summary over RFC 6665 SUBSCRIBE/NOTIFY.
# A message's audio is proven by tone detection of the depositor's identity
# in the stored WAV, and by the owner hearing it. The scenarios that look
# into the mailbox's store run on the in-process PBX only (@pbx-files).
@project-default @cap-registrar @cap-media @cap-voicemail @in-process
Feature: Voicemail
  A subscriber with a mailbox gets the messages of the calls they could
  not take, hears them by dialling the voicemail number, and is told by
  MWI when messages wait.

  Background:
    Given 1002 has a mailbox taking calls on busy and no answer
    And the voicemail number is 600
    And the no-answer timer is 2 seconds
    And phone 1001 is registered
    And phone 1002 is registered

  @pbx-files
  Scenario: A caller who finds the callee busy leaves a message
    Given phone 1002 is busy
    When 1001 calls 1002
    Then the mailbox answers 1001 with the beep
    When 1001 leaves a message
    Then the mailbox of 1002 holds 1 new message
    And the message in 1002's mailbox carries 1001's audio and not 1002's

  @pbx-files
  Scenario: A call nobody answers goes to the mailbox
    When 1001 calls 1002
    Then 1002 rings
    And the mailbox answers 1001 with the beep
    When 1001 leaves a message
    Then the mailbox of 1002 holds 1 new message
    And the message in 1002's mailbox carries 1001's audio and not 1002's

  @rfc3842 @rfc6665
  Scenario: The owner is notified of a new message
    Given phone 1002 is busy
    When 1002 subscribes to its message waiting indication
    Then 1002 is notified of 0 new and 0 old messages
    When 1001 calls 1002
    Then the mailbox answers 1001 with the beep
    When 1001 leaves a message
    Then 1002 is notified of 1 new and 0 old messages

  @rfc4733 @negative-control
  @pbx-files
  Scenario: The owner hears the message and deletes it
    Given phone 1002 is busy
    When 1001 calls 1002
    Then the mailbox answers 1001 with the beep
    When 1001 leaves a message
    Then the mailbox of 1002 holds 1 new message
    When 1002 calls the voicemail number
    Then the mailbox answers 1002
    And 1002 does not hear the message of 1001
    When 1002 presses 1
    Then 1002 hears the message of 1001
    And the mailbox of 1002 holds 0 new messages
    When 1002 presses 7
    Then the mailbox of 1002 is empty
    When 1002 hangs up
    Then the call to the mailbox ends normally

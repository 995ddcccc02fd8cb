# Service: interception | Call Services ch. 1
# Call interception and voice prompts (manual, Call Services ch. 1): a call
# that cannot complete hears a prompt or tone of its cause before the
# final error. How it reaches a SIP phone is our choice: 183 Session
# Progress with the PBX's SDP (RFC 3960 early media, the media anchored on
# the media server), the prompt for a bounded time, then the final status.
# The scenarios configure tones, whose frequencies a phone's audio check
# knows (the built-in prompts are spoken); with the media server switched
# off the caller gets the plain final status.
@cap-registrar @cap-calls @cap-media @cap-prompts @cap-early-media @cap-numbering
Feature: Voice prompts for calls that cannot complete
  A caller whose call cannot complete hears why before the call fails:
  a prompt or tone of the cause in early media, then the final status.

  @manual @in-process
  Scenario: A caller dialling a vacant number hears the prompt, then 404
    Given the PBX plays the US busy tone for 3 seconds to calls to a vacant number
    And phone 1001 is registered
    When 1001 calls a number that is not assigned
    Then 1001 hears the US busy tone in early media
    And the call fails with 404

  @manual @in-process
  Scenario: A caller calling an unregistered subscriber hears the prompt, then 480
    Given the PBX plays the US dial tone for 3 seconds to calls to an unregistered subscriber
    And phone 1001 is registered
    And phone 1002 is not registered
    When 1001 calls 1002
    Then 1001 hears the US dial tone in early media
    And the call fails with 480

  @manual @in-process
  Scenario: A caller calling a busy subscriber hears the prompt, then 486
    Given the PBX plays the CN busy tone for 3 seconds to calls to a busy subscriber
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 is busy
    When 1001 calls 1002
    Then 1001 hears the CN busy tone in early media
    And the call fails with 486

  @manual
  Scenario: By default a vacant number gets the spoken prompt in early media
    Given phone 1001 is registered
    When 1001 calls a number that is not assigned
    Then 1001 receives early media
    And the call fails with 404

  @project-default @in-process @negative-control
  Scenario: With the media server switched off there is no prompt, only 404
    Given the media server is switched off
    And the PBX plays the US busy tone for 3 seconds to calls to a vacant number
    And phone 1001 is registered
    When 1001 calls a number that is not assigned
    Then the call fails with 404
    And 1001 hears no prompt

# Service: callback
# Call back on busy (CCBS; services.callback). The manual's chapters read
# so far do not describe it; this is RFC 5359's automatic callback as
# Asterisk's CCSS users know it, with the digest's code style (project
# default, *37# asks, #37# cancels):
# - A calls B and finds B busy: B's phone answers 486, or the PBX refuses
#   the call as busy (call waiting off while B is in a call, do not
#   disturb). The PBX remembers B as A's last busy number. A dials *37#
#   (or *37*<B>#) and hears the confirmation tone; a caller has one
#   request, a new one replaces it; *37# with nothing found busy 404,
#   with the service switched off 403, #37# without a request 404.
# - When B's call ends and A is in no call, the PBX calls A (A's phone
#   shows B); when A answers, the PBX rings B showing A and joins them
#   (third-party call control, as RFC 5359's click-to-dial). Requests on
#   one B are served oldest first.
# - A in a call when B becomes free: the request waits for A's call to
#   end. B not reachable when its call ends (do not disturb, not
#   registered): A is not called; the request waits for B's next call to
#   end (turning DND off with #56# is one). A busy or rejecting: waits; A
#   not answering: dropped. B busy again once A answered: A is released,
#   the request waits.
# - A request waits services.callback.timeout (default 30 min); then it is
#   dropped (pbx package's virtual-time test).
@in-process @pbx-files @project-default @cap-registrar @cap-calls @cap-media @cap-service-callback
Feature: Call back on busy
  A caller who found a subscriber busy asks to be called back; when the
  subscriber's call ends the PBX calls the caller, then the subscriber,
  and connects them.

  @cap-service-call-waiting
  Scenario: Called back when the busy subscriber's call ends
    Given 1001 has call waiting off by configuration
    And phones 1000 to 1002 are registered
    And 1001 is in a call with 1002
    When 1000 calls 1001
    Then the call fails with 486
    When 1000 asks to be called back by 1001
    Then the PBX confirms the code to 1000
    When the call between 1001 and 1002 ends
    Then the PBX calls 1000 back and connects it to 1001
    When 1000 hangs up
    Then the call ends normally

  @cap-service-call-waiting
  Scenario: A cancelled request calls nobody back
    Given 1001 has call waiting off by configuration
    And phones 1000 to 1002 are registered
    And 1001 is in a call with 1002
    When 1000 calls 1001
    Then the call fails with 486
    When 1000 asks to be called back by 1001
    Then the PBX confirms the code to 1000
    When 1000 cancels its callback request
    Then the PBX confirms the code to 1000
    When the call between 1001 and 1002 ends
    Then 1000 is not called back

  @cap-service-call-waiting
  Scenario: The requester busy when the number is free: the request waits
    Given 1001 has call waiting off by configuration
    And phones 1000 to 1003 are registered
    And 1001 is in a call with 1002
    When 1000 calls 1001
    Then the call fails with 486
    When 1000 asks to be called back by 1001
    Then the PBX confirms the code to 1000
    Given 1000 is in a call with 1003
    When the call between 1001 and 1002 ends
    Then 1000 is not called back
    When the call between 1000 and 1003 ends
    Then the PBX calls 1000 back and connects it to 1001
    When 1001 hangs up
    Then the call ends normally

  @cap-service-dnd
  Scenario: Callback to a subscriber with do not disturb waits until DND is off
    Given 1001 has do not disturb on by configuration
    And phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then the call fails with 486
    When 1000 asks to be called back by 1001
    Then the PBX confirms the code to 1000
    Given 1001 is in a call with 1002
    When the call between 1001 and 1002 ends
    Then 1000 is not called back
    When 1001 turns do not disturb off
    Then the PBX confirms the code to 1001
    And the PBX calls 1000 back and connects it to 1001
    When 1000 hangs up
    Then the call ends normally

  Scenario: Nothing found busy: no request
    Given phone 1000 is registered
    When 1000 asks to be called back
    Then the call fails with 404

  Scenario: Call back switched off for the caller
    Given the service "callback" is switched off for 1000
    And phone 1000 is registered
    When 1000 asks to be called back
    Then the call fails with 403

  Scenario: Cancelling without a request
    Given phone 1000 is registered
    When 1000 cancels its callback request
    Then the call fails with 404

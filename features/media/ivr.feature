# IVR / auto-attendant (issue 8: "IVR / auto-attendant from YAML: menus of
# prompts (media IDs), digit → extension / sub-menu / voicemail / repeat,
# timeouts and invalid-input handling, reachable by a number"). The manual
# names the media server's voice prompts but no IVR menus: the menus, the
# timers and the retries are our own. The mailbox of a voicemail option is
# the voicemail feature's (features/media/voicemail.feature). Each prompt here is a tone of its
# own frequency, so hearing a prompt is tone detection on the caller's
# phone; an extension reached is two-way audio with it. The prompt WAVs are
# written at scenario start where the in-process PBX reads them (@pbx-files).
@project-default @in-process @pbx-files @cap-registrar @cap-calls @cap-media @cap-ivr
Feature: IVR auto-attendant
  A caller who dials an IVR number is answered by the PBX, hears the menu,
  chooses with the keypad, and reaches the extension or the sub-menu the
  menu says; a wrong key or no key gets the menu again, and after the
  retries the IVR says goodbye and hangs up.

  Background:
    Given the prompts "menu", "sales", "invalid", "timeout" and "bye" are tones of distinct frequencies
    And an IVR on 500 with the menus:
      """
      main:
        prompt: menu
        timeout: 3s
        retries: 1
        invalid_prompt: invalid
        timeout_prompt: timeout
        options:
          "2": {call: "1003"}
          "3": {menu: sales}
          "8": {voicemail: "1003"}
        on_fail: {hangup: true, prompt: bye}
      sales:
        prompt: sales
        options:
          "1": {call: "1002"}
          "9": {menu: main}
      """
    And 1003 has a mailbox taking calls on busy
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered

  Scenario: A digit of the menu reaches its extension
    When 1001 dials 500, hears prompt "menu", presses 2 and reaches 1003
    Then 1002 was not called
    When 1003 hangs up
    Then the call ends normally

  Scenario: A sub-menu leads to another extension
    When 1001 dials 500
    Then 1001 hears prompt "menu"
    When 1001 presses 3
    Then 1001 hears prompt "sales"
    And 1001 does not hear prompt "menu"
    When 1001 presses 1
    Then 1001 reaches 1002
    And 1003 was not called
    When 1001 hangs up
    Then the call ends normally

  Scenario: A wrong digit gets the error prompt and the menu again
    When 1001 dials 500
    Then 1001 hears prompt "menu"
    When 1001 presses 7
    Then 1001 hears prompt "invalid"
    And 1001 hears prompt "menu"
    When 1001 presses 2
    Then 1001 reaches 1003
    And 1002 was not called
    When 1001 hangs up
    Then the call ends normally

  @cap-voicemail
  Scenario: A digit sends the caller to a mailbox
    When 1001 dials 500
    Then 1001 hears prompt "menu"
    When 1001 presses 8
    Then the mailbox answers 1001 with the beep
    When 1001 leaves a message
    Then the mailbox of 1003 holds 1 new message
    And the message in 1003's mailbox carries 1001's audio and not 1003's
    And 1003 was not called

  Scenario: The extension stops ringing when the caller hangs up
    When 1001 dials 500
    Then 1001 hears prompt "menu"
    When 1001 presses 2
    Then the IVR puts 1001 through to 1003
    And 1003 rings
    And 1001 hears ringback
    And 1001 does not hear prompt "menu"
    When 1001 hangs up
    Then 1003 stops ringing
    And the IVR call of 1001 is over

  Scenario: A caller who presses nothing hears the menu again, then goodbye
    When 1001 dials 500
    Then 1001 hears prompt "menu"
    When 1001 presses nothing
    Then 1001 hears prompt "timeout"
    And 1001 hears prompt "menu"
    And 1001 hears prompt "bye"
    And the PBX hangs up on 1001
    And 1002 was not called
    And 1003 was not called

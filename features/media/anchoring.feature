# Media server (manual: "Media Server (MS) — must be enabled"). How the PBX
# carries RTP is our choice where the manual is silent: it anchors every
# call's media (each phone's SDP names the PBX), latches to where a phone's
# RTP really comes from (NAT, RFC 4961's symmetric RTP), transcodes G.711
# µ-law and A-law, and ends a call whose media died (media.timeout).
# Everything below is observed from the simulated phones only.
@project-default @cap-registrar @cap-calls @cap-media
Feature: Anchored media
  The PBX carries the audio of every call: both phones send their RTP to
  the PBX and hear each other through it, whatever address or G.711 law
  they use, and a call whose audio stops is ended.

  Scenario: Both phones talk through the PBX
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    And the media between 1001 and 1002 flows through the PBX
    And the audio between 1001 and 1002 loses no packet and scores a MOS of at least 4.0
    When 1001 hangs up
    Then the call ends normally

  Scenario: A phone behind NAT is heard although its SDP names a private address
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 is behind a NAT, its SDP naming the private address 192.168.1.20
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    And the media between 1001 and 1002 flows through the PBX
    When 1002 hangs up
    Then the call ends normally

  Scenario: An A-law phone and a µ-law phone hear each other
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1001 uses only PCMA
    And phone 1002 uses only PCMU
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  Scenario: A call with no codec the PBX can bridge fails with 488
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 uses only G722
    When 1001 calls 1002
    Then the call fails with 488

  @in-process
  Scenario: A call whose audio stops is ended by the PBX
    Given the media timeout is 2 seconds
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 stops sending audio
    Then the PBX ends the call for lack of media

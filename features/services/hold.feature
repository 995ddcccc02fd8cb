# Service: hold
# Hold and retrieve (issue 11, Call Services). The manual digest has no
# hold chapter (Call Services ch. 7-15 are unread), so this is RFC 3264
# §8.4 / RFC 5359 §2.1 as Asterisk and FreeSWITCH users expect it, with a
# per-subscriber mode (services.hold.default, default relay;
# services.hold.subscribers: number -> relay|pbx):
# - relay: the holder's re-INVITE (a=sendonly, a=inactive, or c=0.0.0.0
#   from older phones) goes to the held party end to end; with the media
#   server on, the PBX re-offers it sendonly and plays it music on hold
#   (features/media/hold.feature).
# - pbx: the PBX answers the holder's re-INVITE itself with the direction
#   mirrored (recvonly, inactive) and does NOT re-INVITE the held party,
#   which keeps its session and hears the music on hold instead of the
#   holder; the retrieve (a=sendrecv) is answered by the PBX too and
#   restores two-way audio, again without a re-INVITE to the held party.
#   A call with a party in pbx mode is media-anchored (the PBX plays).
# - the srv-switch "hold" switched off for the holder, or the media server
#   switched off (nothing can play the music), means relay.
# The mode is the holder's (the subscriber on the leg the hold comes from).
@in-process @cap-registrar @cap-calls @cap-media @cap-moh @cap-service-hold
Feature: Hold and retrieve
  A subscriber whose holds the PBX takes puts a call on hold without the
  held party being re-INVITEd: the held party hears music on hold from the
  PBX, and the retrieve brings both back; otherwise the hold is relayed.

  @project-default
  Scenario: The PBX takes the hold: the held party is not re-INVITEd and hears music on hold
    Given 1001 has its holds taken by the PBX
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 hears the music on hold
    And 1002 does not hear 1001
    And 1002 was not re-INVITEd in the call with 1001
    When 1001 resumes the call
    Then 1001 and 1002 hear each other
    And 1002 does not hear the music on hold
    And 1002 was not re-INVITEd in the call with 1001
    When 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario Outline: The PBX takes a hold signalled with <hold>
    Given holds are taken by the PBX by default
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 puts the call on hold with <hold>
    Then 1001 hears the music on hold
    And 1001 does not hear 1002
    And 1001 was not re-INVITEd in the call with 1002
    When 1002 resumes the call
    Then 1001 and 1002 hear each other
    And 1001 was not re-INVITEd in the call with 1002
    When 1002 hangs up
    Then the call ends normally

    Examples:
      | hold       |
      | a=sendonly |
      | a=inactive |
      | c=0.0.0.0  |

  @project-default @negative-control
  Scenario: Hold switched off for the subscriber: its hold is relayed end to end
    Given 1001 has its holds taken by the PBX
    And the service "hold" is switched off for 1001
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 was re-INVITEd in the call with 1001
    And 1002 hears the music on hold
    When 1001 resumes the call
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @negative-control
  Scenario: With the media server switched off the hold is relayed, without music
    Given the media server is switched off
    And 1001 has its holds taken by the PBX
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 was re-INVITEd in the call with 1001
    And 1002 does not hear the music on hold
    When 1001 resumes the call
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @cap-service-call-waiting
  Scenario: Call waiting and hold: the subscriber holds the first call, answers the second and goes back
    Given 1002 has its holds taken by the PBX
    And phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 calls 1002
    Then 1002 rings
    When 1002 puts the call with 1001 on hold
    Then 1001 hears the music on hold in the call with 1002
    And 1001 was not re-INVITEd in the call with 1002
    When 1002 answers
    Then 1002 and 1003 hear each other
    And 1001 does not hear 1002
    When 1003 hangs up
    Then the call ends normally
    When 1002 resumes the call with 1001
    Then 1001 and 1002 hear each other
    And 1001 was not re-INVITEd in the call with 1002

  @project-default @cap-service-transfer
  Scenario: Blind transfer of a call the PBX holds: the transferee hears the target
    Given 1001 has its holds taken by the PBX
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 hears the music on hold
    When 1001 transfers the call to 1003
    Then 1003 rings
    When 1003 answers
    Then the transfer succeeds
    And 1001 is disconnected by the PBX
    And 1002 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  @project-default @cap-service-transfer
  Scenario: Attended transfer of a call the PBX holds
    Given 1001 has its holds taken by the PBX
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 hears the music on hold
    When 1001 calls 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 transfers 1002 to 1003
    Then the transfer succeeds
    And 1001 is disconnected by the PBX
    And 1002 and 1003 hear each other
    When 1002 hangs up
    Then the call ends normally

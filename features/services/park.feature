# Service: park
# Call park (services.park; the codes are the manual digest's project
# defaults: *6 parks, *6*<slot># retrieves). The manual's chapters read so
# far say nothing more, so this is what Asterisk (res_parking) and
# FreeSWITCH (valet_park) users expect:
# - parking is a blind transfer (RFC 3515 REFER, RFC 5589 §6) of the call
#   to *6, from the phone's transfer key. The PBX takes the lowest free
#   slot (1 to services.park.slots, default 10), re-INVITEs the parked
#   party with its own media and plays it the music on hold, then speaks
#   the slot's digits to the parker (the digit prompts), NOTIFYs it
#   "SIP/2.0 200" (reason phrase "Parked at <slot>") and hangs it up;
# - the one-touch in-call DTMF park (Asterisk's parkcall feature) is not
#   offered: the transfer is the standard way every SIP phone has;
# - anyone dials *6*<slot># to talk to the parked party (services.park.right
#   limits it to the listed subscribers and the parker); an empty slot
#   gets the vacant-number prompt, then 404; no right, or park switched off
#   for the parker, 403; every slot taken, or the media server off, 486 in
#   the REFER's NOTIFY;
# - a call parked longer than services.park.timeout (default 120 s) leaves
#   its slot and the PBX rings the parker back showing the parked party
#   (Asterisk's comebacktoorigin); answered, the two talk; not answered
#   (the no-answer timer) or busy, the parked call is hung up (record
#   reason "park timeout"; pbx package's virtual-time test);
# - the parked party hanging up frees the slot; records: the original call
#   ends "parked by <parker> at slot <n>", the parked party gets one to
#   *6*<n>, ended by its hang-up, the timeout, or "retrieved from slot <n>
#   by <who>" (then one more for the parked party and the retriever).
@in-process @pbx-files @project-default @cap-registrar @cap-calls @cap-media @cap-service-transfer @cap-service-park
Feature: Call park
  A party to a call parks the other party in a slot; anyone dials the
  slot's code to take the call back up.

  Scenario: Park a call and retrieve it from another phone
    Given the park slots are spoken as tones
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 parks the call
    Then 1002 hears that the call is parked at slot 1
    And the call is parked
    And 1002 is disconnected by the PBX
    And 1001 hears the music on hold
    When 1003 retrieves the call parked at slot 1
    Then 1003 talks to 1001, retrieved from the park
    And 1001 does not hear the music on hold
    When 1003 hangs up
    Then the call ends normally

  Scenario: Park a call that was forwarded to the parker
    Given 1002 forwards calls unconditionally to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    And phone 1004 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason unconditional
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1003 parks the call
    Then the call is parked
    And 1003 is disconnected by the PBX
    And 1001 hears the music on hold
    When 1004 retrieves the call parked at slot 1
    Then 1004 talks to 1001, retrieved from the park
    When 1001 hangs up
    Then the call ends normally

  Scenario: Retrieving an empty slot gets 404
    Given phone 1001 is registered
    When 1001 retrieves the call parked at slot 7
    Then the call fails with 404

  Scenario: Only the listed subscribers and the parker retrieve
    Given only 1003 may retrieve calls others parked
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    And phone 1004 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 parks the call
    Then the call is parked
    And 1002 is disconnected by the PBX
    When 1004 retrieves the call parked at slot 1
    Then the call fails with 403
    When 1003 retrieves the call parked at slot 1
    Then 1003 talks to 1001, retrieved from the park
    When 1001 hangs up
    Then the call ends normally

  Scenario: Park switched off for the parker leaves the call as it was
    Given the service "park" is switched off for 1002
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 parks the call
    Then the transfer fails with 403
    And 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  Scenario: A call parked too long rings the parker back
    Given calls stay parked at most 2 seconds
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 parks the call
    Then the call is parked
    And 1002 is disconnected by the PBX
    And the PBX rings 1002 back with the parked 1001
    And 1001 does not hear the music on hold
    When 1002 hangs up
    Then the call ends normally

  Scenario: The parked party hangs up: the slot is free again
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 parks the call
    Then the call is parked
    And 1002 is disconnected by the PBX
    When the parked 1001 hangs up
    And 1002 retrieves the call parked at slot 1
    Then the call fails with 404

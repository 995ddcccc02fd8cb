# The manual's Feature module, number substitution (read in full; see
# ../shared/manual/README.md). Location-based substitution: "the XE analyses
# the dialled number, finds the called device, prefixes the area code to
# the calling number and strips it from the called number, then routes."
# Table 1-1 says what a caller may dial, Table 1-2 which calling number the
# callee is shown, by what caller and callee share.
#
# Our reading (project default): a number is dialled in one of three forms
# — the subscriber number, the national prefix (numbering.national_prefix,
# "0") + area code + subscriber number, or the international prefix
# (numbering.international_prefix, "00") + country + area + subscriber
# number — and read in the caller's location; so a form Table 1-1 does not
# allow points somewhere else (another area, another country) and reaches
# nobody here. Each subscriber here is bound to an office gateway at its
# location (subscribers[].device).
#
# Precedence, our reading: the calling and the called numbers are
# substituted independently; for each, the highest level of the manual's
# list that holds a rule matching the number applies and the lower levels
# are not consulted; rule-based substitution, where any applies, replaces
# location-based. Worked example (the last scenario): 1001 in Shanghai
# calls 1002 in Beijing. Location-based substitution would show 1002
# "0211001" (Table 1-2: same country, so area code + subscriber number);
# but a rule on 1001's calling number prepends 77, and calling-number rules
# stand above location-based substitution in the list after analysis, so
# 1002 sees "771001" and location-based substitution is not consulted.
@in-process @cap-calls @cap-numbering
Feature: Number substitution by location (Tables 1-1 and 1-2)
  Callers dial the forms their location allows, and callees see the
  calling number in the form their location needs.

  @manual
  Scenario Outline: A caller at <country> <area> dialling <dialled> reaches the subscriber and is shown by <shown>
    Given the PBX is at country code 86, area code 10
    And 1001 is a subscriber at country code <country>, area code <area>
    And 1002 is a subscriber at country code 86, area code 10
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials 1002 as <dialled>
    Then 1002 rings
    And 1002 sees the call from <shown> of 1001
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

    Examples: same country and area code
      | country | area | dialled                                       | shown                                         |
      | 86      | 10   | the subscriber number                         | the subscriber number                         |
      | 86      | 10   | area code and subscriber number               | the subscriber number                         |
      | 86      | 10   | country code, area code and subscriber number | the subscriber number                         |

    Examples: same country code only
      | country | area | dialled                                       | shown                                         |
      | 86      | 21   | area code and subscriber number               | area code and subscriber number               |
      | 86      | 21   | country code, area code and subscriber number | area code and subscriber number               |

    Examples: nothing shared
      | country | area | dialled                                       | shown                                         |
      | 852     | 2    | country code, area code and subscriber number | country code, area code and subscriber number |

  @manual
  Scenario Outline: A caller at <country> <area> dialling <dialled> reaches nobody
    Given the PBX is at country code 86, area code 10
    And 1001 is a subscriber at country code <country>, area code <area>
    And 1002 is a subscriber at country code 86, area code 10
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials 1002 as <dialled>
    Then the call fails with 404
    And 1002 does not ring

    Examples:
      | country | area | dialled                         |
      | 86      | 21   | the subscriber number           |
      | 852     | 2    | the subscriber number           |
      | 852     | 2    | area code and subscriber number |

  @project-default
  Scenario: A rule on the calling number replaces location-based substitution
    Given the PBX is at country code 86, area code 10
    And 1001 is a subscriber at country code 86, area code 21
    And 1002 is a subscriber at country code 86, area code 10
    And the calling number of 1001 is rewritten by a rule prepending 77
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials 1002 as area code and subscriber number
    Then 1002 rings
    And 1002 sees the call from 771001
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

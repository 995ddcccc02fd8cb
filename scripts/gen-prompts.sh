#!/usr/bin/env bash
# Regenerates the media server's default voice prompts,
# pbx/internal/media/prompts/<id>.wav (embedded in the binary, media IDs of
# media.BuiltinPromptIDs), with espeak-ng (speech) and sox (8 kHz mono G.711
# µ-law WAV, silence trimmed, normalised to -3 dBFS, no dither so that a
# re-run gives the same bytes).
#
#   apt-get install espeak-ng sox     # Debian packages
#   scripts/gen-prompts.sh            # re-runnable: rewrites every file
#
# Keep the set small (the files are committed; the total stays well under
# 1 MB). After a change, run: go test ./pbx/internal/media/ -run Prompt
set -euo pipefail

for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "gen-prompts: $tool missing (apt-get install espeak-ng sox)" >&2; exit 1; }
done

out="$(cd "$(dirname "$0")/.." && pwd)/pbx/internal/media/prompts"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# say ID TEXT: speak TEXT (US English, 150 words a minute) into $out/ID.wav.
say() {
  local id=$1
  shift
  espeak-ng -v en-us -s 150 -w "$tmp/$id.raw.wav" "$*"
  # Trim leading and trailing silence, keep 100 ms of tail, resample.
  sox -D "$tmp/$id.raw.wav" -r 8000 -c 1 -e u-law -b 8 "$out/$id.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3 pad 0 0.1
}

rm -f "$out"/*.wav

# Call interception (manual, Call Services ch. 1): 183 + prompt, then the error.
say vacant-number "The number you have dialled does not exist. Please check the number and dial again."
say not-registered "The subscriber you are calling is not available at the moment. Please call again later."
say number-busy "The number you are calling is busy. Please call again later."
say call-barred "Your call cannot be connected. Calls to this number are barred."
# Subscriber management (Call Services ch. 2): a suspended subscriber's calls, made and received.
say service-suspended "The service on this line is suspended. Please contact your administrator."
# Hold and voicemail.
say please-hold "Please hold the line."
say voicemail-greeting "The person you are calling is not available. Please leave a message after the tone."
say you-have "You have"
say no "no"
say new-message "new message"
say new-messages "new messages"
digits=(zero one two three four five six seven eight nine)
for d in "${!digits[@]}"; do
  say "digit-$d" "${digits[$d]}"
done
# IVR.
say invalid-option "That is not a valid option."
say goodbye "Goodbye."

du -cb "$out"/*.wav | tail -1

#!/bin/sh
# `vtspec fuzz` on KVM finds the documented MOV CR0 divergence (docs/kvm-divergences.md §1:
# bit 32 of CR0 is reserved, SDM Vol. 3A 2.5, yet MOV CR0 completes), shrinks it, writes a
# minimal vector, and `vtspec run` replays that file to the same divergence class.
# Seed 7 reaches the class at case 129; the same seed gives the same cases.
# Exit 77 (ctest SKIP) without a usable /dev/kvm.
set -u
vtspec=$1
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "SKIP: no usable /dev/kvm"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$vtspec" fuzz --target kvm --seed 7 --cases 300 --reset-every 0 --out "$out" > "$out/fuzz.txt" 2>&1
code=$?
cat "$out/fuzz.txt"
grep -q "unavailable here" "$out/fuzz.txt" && { echo "SKIP: KVM target unavailable"; exit 77; }
[ "$code" -eq 1 ] || { echo "FAIL: without --known the divergence must fail the fuzz run (exit $code)"; exit 1; }
grep -q "seed 7 (run again with --seed 7)" "$out/fuzz.txt" || { echo "FAIL: the seed is not printed"; exit 1; }
file=$(grep -l "class 'mov_cr0: expected #GP, observed completed'" "$out"/class-*.yaml | head -1)
[ -n "$file" ] || { echo "FAIL: no minimal vector for the MOV CR0 class"; exit 1; }
grep -q "does NOT replay" "$out/fuzz.txt" && { echo "FAIL: a minimal vector did not replay in the fuzzer"; exit 1; }
"$vtspec" run --target kvm "$file" > "$out/run.txt" 2>&1
code=$?
cat "$out/run.txt"
[ "$code" -eq 1 ] || { echo "FAIL: vtspec run of $file exited $code, expected 1 (a divergence)"; exit 1; }
grep -q "mov_cr0: expected #GP, observed completed" "$out/run.txt" || { echo "FAIL: the replay shows another class"; exit 1; }
# With the known list the same run counts it and passes.
"$vtspec" fuzz --target kvm --seed 7 --cases 300 --reset-every 0 --out "$out/k" \
  --known "$(dirname "$0")/../../targets/kvm-fuzz-known.yaml" > "$out/known.txt" 2>&1
code=$?
grep "KNOWN" "$out/known.txt"
[ "$code" -eq 0 ] || { cat "$out/known.txt"; echo "FAIL: with the known list the run must pass (exit $code)"; exit 1; }
echo "PASS"

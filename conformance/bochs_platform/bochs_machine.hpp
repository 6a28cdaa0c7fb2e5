// One Bochs 2.7 run, driven from the host: the long-mode platform proxy
// (conformance/qemu_platform/guest/proxy.c) loaded into RAM, booted through a 512-byte boot
// sector (guest/boot_sector.S), reading a batch of command lists from an ATA disk, results
// read back from port 0xE9 (mailbox_abi.h, "Batch mode"). (Bochs 2.7's optramimage places
// only the first 128 KiB of a larger image where it belongs: the disk is the reliable way.) Bochs's RAM cannot be shared with the host, so a run is
// a batch: everything the host wants done is in the lists, and the machine ends when they
// are. A thin typed owner, like the QEMU platform's Machine: it writes the files, starts
// Bochs with a deadline, kills it when it hangs, and never loses what finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "conformance/qemu_platform/command_batch.hpp"

namespace vtspec::conformance::bochs {

using qemu::Command;

// Whether Bochs can be run here (bochs, its BIOS and VGA BIOS, the rfb display plugin);
// empty when it can, otherwise why not.
std::string bochs_unavailable_reason();
// "Bochs x86 Emulator 2.7", or empty.
std::string bochs_version();

using qemu::Batch;
using qemu::BatchOutcome;

struct RunConfig {
  std::string cpu_model = "corei7_skylake_x";  // Bochs's `cpu: model=`
  std::chrono::milliseconds timeout{60000};    // the whole run
};

// Boots Bochs on `batch` and waits for it. Never throws for a guest that hangs or crashes:
// the outcome says how far it got.
BatchOutcome run_batch(const RunConfig& config, const Batch& batch);

}  // namespace vtspec::conformance::bochs

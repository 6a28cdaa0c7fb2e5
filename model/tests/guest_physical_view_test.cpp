// The guest-physical view of host-physical memory (model/address_space): the identity
// without EPT, the EPT translation with it, ignoring access rights but not presence or
// misconfiguration. EPT entries are written with their architectural bits (SDM Vol. 3C
// 29.3.2, Tables 29-1 to 29-7): R = bit 0, W = bit 1, X = bit 2, memory type bits 5:3 (WB =
// 6), PS = bit 7, user-execute = bit 10.
#include <gtest/gtest.h>

#include <stdexcept>

#include "model/processor/processor.hpp"

namespace vtspec::model {
namespace {

constexpr std::uint64_t R = 1, W = 2, X = 4, WB = 6u << 3, PS = 0x80, XU = 0x400;
constexpr std::uint64_t kRoot = 0x800000, kPdpt = 0x801000, kPd = 0x802000, kPt = 0x803000;

// A 4-level EPT (EPTP: WB, walk length 4) with, under GPA [0, 2 MByte), a page table whose
// entry 1 maps GPA 0x1000 -> 0x20000 readable, entry 2 GPA 0x2000 -> 0x30000 with only
// user-execute set, entry 3 GPA 0x3000 -> 0x40000 write-only; and a 2-MByte page GPA
// 0x200000 -> 0x600000.
MachineState ept_state(bool mode_based_execute) {
  MachineState s;
  spec::EptCapabilities caps;
  caps.mode_based_execute = mode_based_execute;
  s.ept = EptSettings{kRoot | (3u << 3) | 6u, caps};
  s.memory.write64(kRoot, kPdpt | R | W | X);
  s.memory.write64(kPdpt, kPd | R | W | X);
  s.memory.write64(kPd, kPt | R | W | X);
  s.memory.write64(kPd + 8, 0x600000 | PS | WB | R | W | X);
  s.memory.write64(kPt + 8, 0x20000 | WB | R);
  s.memory.write64(kPt + 16, 0x30000 | WB | XU);
  s.memory.write64(kPt + 24, 0x40000 | WB | W);
  return s;
}

TEST(GuestPhysicalView, WithoutEptGuestPhysicalIsHostPhysical) {
  const MachineState s;
  EXPECT_EQ(s.guest_physical().host_address(0x123456), 0x123456u);
}

// 29.3.2: a 4-KByte leaf supplies bits 51:12, a 2-MByte one bits 51:21; the rest comes from
// the guest-physical address. Rights do not matter: the 4-KByte page is read-only.
TEST(GuestPhysicalView, EptLeavesGiveTheHostAddressWhateverTheRights) {
  const MachineState s = ept_state(false);
  EXPECT_EQ(s.guest_physical().host_address(0x1008), 0x20008u);
  EXPECT_EQ(s.guest_physical().host_address(0x234567), 0x634567u);
  EXPECT_EQ(s.guest_physical().host_address(0x5000), std::nullopt);  // entry 5 is zero: not present
}

// 29.3.2: an entry is present when any of bits 2:0 is 1, or, with mode-based execute control
// for EPT, bit 10. Without that control an entry with only bit 10 set is not present.
TEST(GuestPhysicalView, UserExecuteOnlyEntryIsNotPresentWithoutModeBasedExecute) {
  EXPECT_EQ(ept_state(false).guest_physical().host_address(0x2008), std::nullopt);
}
TEST(GuestPhysicalView, UserExecuteOnlyEntryIsPresentWithModeBasedExecute) {
  EXPECT_EQ(ept_state(true).guest_physical().host_address(0x2008), 0x30008u);
}

// 29.3.3.1: write permission without read is an EPT misconfiguration; no access reaches
// memory through it, so the view maps nothing there.
TEST(GuestPhysicalView, MisconfiguredEntryMapsNothing) {
  EXPECT_EQ(ept_state(false).guest_physical().host_address(0x3000), std::nullopt);
}

// A guest store (store_entry) lands where the view maps the address: with mode-based execute
// control the user-execute-only page is mapped; without it the store has nowhere to go.
TEST(GuestPhysicalView, GuestStoreGoesThroughTheView) {
  Operation store;
  store.kind = OperationKind::store_entry;
  store.address = 0x2010;
  store.value = 0x1234;
  Processor with_mbec(ept_state(true));
  with_mbec.apply(store);
  EXPECT_EQ(with_mbec.state().memory.read64(0x30010), 0x1234u);
  Processor without_mbec(ept_state(false));
  EXPECT_THROW(without_mbec.apply(store), std::invalid_argument);
  EXPECT_EQ(without_mbec.state().memory.read64(0x30010), 0u);
}

}  // namespace
}  // namespace vtspec::model

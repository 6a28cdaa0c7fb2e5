#include "conformance/targets/qemu_svm_plan.hpp"

#include <fmt/format.h>

#include "model/instruction_checks.hpp"
#include "model/operation_table.hpp"
#include "spec/svm/vmcb_layout.hpp"
#include "vectors/format/vector.hpp"

namespace vtspec::conformance::qemu_svm {

namespace {

constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 1 << 5, D = 1 << 6, NX = 1ull << 63;
constexpr std::uint64_t kTable = P | RW | US | A;
// Harness pages, host-physical = guest-physical.
constexpr std::uint64_t kGuestPdpt = kHarnessBase, kGuestPd = kHarnessBase + 0x1000, kGuestPt = kHarnessBase + 0x2000;
constexpr std::uint64_t kStubPage = kHarnessBase + 0x3000, kStackS = kHarnessBase + 0x4000, kStackU = kHarnessBase + 0x5000;
constexpr std::uint64_t kNestedPd = kHarnessBase + 0x6000, kNestedPt = kHarnessBase + 0x7000;
constexpr unsigned kHarnessPages = 8;

}  // namespace

std::vector<std::uint8_t> stub_page() {
  std::vector<std::uint8_t> page(4096, 0xcc);  // INT3 everywhere else
  auto put = [&](std::uint64_t at, std::initializer_list<std::uint8_t> bytes) {
    std::size_t i = at;
    for (auto b : bytes) page[i++] = b;
    for (auto b : {0x0f, 0x01, 0xd9}) page[i++] = static_cast<std::uint8_t>(b);  // VMMCALL
  };
  put(kReadStub + 0x00, {0x0f, 0xb6, 0x00});        // movzbl (%rax), %eax
  put(kReadStub + 0x10, {0x0f, 0xb7, 0x00});        // movzwl (%rax), %eax
  put(kReadStub + 0x20, {0x8b, 0x00});              // mov (%rax), %eax
  put(kReadStub + 0x30, {0x48, 0x8b, 0x00});        // mov (%rax), %rax
  put(kWriteStub + 0x00, {0x88, 0x18});             // mov %bl, (%rax)
  put(kWriteStub + 0x10, {0x66, 0x89, 0x18});       // mov %bx, (%rax)
  put(kWriteStub + 0x20, {0x89, 0x18});             // mov %ebx, (%rax)
  put(kWriteStub + 0x30, {0x48, 0x89, 0x18});       // mov %rbx, (%rax)
  put(kFetchStub, {0xff, 0xd0});                    // call *%rax
  put(kNopStub, {});
  put(kInvlpgStub, {0x0f, 0x01, 0x38});             // invlpg (%rax)
  return page;
}

bool runs(const model::Operation& op) {
  switch (op.kind) {
    case model::OperationKind::access: return !op.access.implicit_supervisor;
    case model::OperationKind::invlpg:
    case model::OperationKind::store_entry:
    case model::OperationKind::invlpga:
    case model::OperationKind::vmrun: return true;
    default: return false;
  }
}

Encoded encode_vector(const vectors::Vector& v) {
  Encoded out;
  const model::MachineState& s = v.initial;
  if (!s.npt) {
    out.error = "not a guest under nested paging (the qemu-svm target runs vtspec/vector/3 npt: vectors)";
    return out;
  }
  if (s.regs.pkru || (s.regs.cr4 & spec::cr4::pke) || (s.regs.cr4 & spec::cr4::pks)) {
    out.error = "protection keys: VMRUN does not switch PKRU, and the L1 harness does not set one for the guest";
    return out;
  }
  Plan& plan = out.plan;
  plan.maxphyaddr = s.features.maxphyaddr;
  for (std::uint64_t n : s.memory.frame_numbers()) {
    const std::uint8_t* bytes = s.memory.frame_bytes(n);
    plan.frames.push_back({n * model::PhysicalMemory::kFrameSize, {bytes, bytes + model::PhysicalMemory::kFrameSize}});
  }
  // The nested side: the vector's nested PML4 entry 0 must lead, with user write and execute
  // rights, to a nested PDPT whose entry 1 the harness takes.
  const std::uint64_t frame = spec::frame_mask(s.features.maxphyaddr);
  const std::uint64_t ncr3 = s.npt->ncr3 & frame;
  const std::uint64_t npml4e = s.memory.read64(ncr3);
  if ((npml4e & (P | RW | US)) != (P | RW | US) || ((npml4e & NX) && s.npt->host_nxe) || (npml4e & spec::bit_range(51, s.features.maxphyaddr))) {
    out.error = fmt::format("the vector's nested PML4 entry 0 ({:#x}) denies the harness a user write or fetch: its code "
                            "could not run",
                            npml4e);
    return out;
  }
  plan.words.emplace_back((npml4e & frame) + 8, kNestedPd | kTable);  // nested PDPT[1]: gpa [1G, 2G)
  const unsigned pd_index = static_cast<unsigned>((kHarnessBase - 0x40000000) >> 21);
  plan.words.emplace_back(kNestedPd + 8 * pd_index, kNestedPt | kTable);
  for (unsigned i = 0; i < kHarnessPages; ++i) {
    const std::uint64_t page = kHarnessBase + 0x1000 * i;
    plan.words.emplace_back(kNestedPt + 8 * ((page >> 12) & 511), page | kTable | D);
  }
  // The guest side: entry 511 of the guest's PML4 page, wherever nested paging puts it.
  const auto pml4 = s.guest_physical().host_address(s.regs.cr3 & frame);
  if (!pml4) {
    out.error = "the guest's PML4 page is not mapped by the nested page tables: the harness's code could not be reached";
    return out;
  }
  plan.words.emplace_back(*pml4 + 8 * 511, kGuestPdpt | kTable);
  plan.words.emplace_back(kGuestPdpt, kGuestPd | kTable);
  plan.words.emplace_back(kGuestPd, kGuestPt | kTable);
  plan.words.emplace_back(kGuestPt + 0, kStubPage | P | A);            // supervisor stubs (read-only, executable)
  plan.words.emplace_back(kGuestPt + 8, kStubPage | P | US | A);       // user stubs
  plan.words.emplace_back(kGuestPt + 16, kStackS | P | RW | A | D);    // supervisor stack
  plan.words.emplace_back(kGuestPt + 24, kStackU | P | RW | US | A | D);  // user stack
  const auto stubs = stub_page();
  for (std::size_t i = 0; i < stubs.size(); i += 8) {
    std::uint64_t w = 0;
    for (unsigned b = 0; b < 8; ++b) w |= std::uint64_t{stubs[i + b]} << (8 * b);
    plan.words.emplace_back(kStubPage + i, w);
  }
  auto size_slot = [](unsigned size) { return size == 1 ? 0u : size == 2 ? 0x10u : size == 4 ? 0x20u : 0x30u; };
  // The guest's VMCB for a stub at CPL `cpl`. The model's TLB starts empty, so the plan's
  // first VMRUN flushes every ASID (TLB_CONTROL 1, APM Vol. 2 15.16.1); later ones keep the
  // TLB (0) unless a `vmrun` operation names a TLB_CONTROL, and run in the ASID of the last
  // `vmrun` (the vector's `npt.asid` before one).
  std::uint64_t asid = s.npt->asid;
  // Guest-physical memory as the operations leave it, to place the guest's stores.
  model::MachineState now = s;
  // The VMCB: the model's (model::vmrun_input: the L1's own fields, and a `vmrun`
  // operation's VMCB fields in their place), at CPL `cpl`, starting at `stub`.
  auto guest = [&](std::uint64_t stub, unsigned cpl, std::uint64_t rax, unsigned tlb_control, const model::Operation* run) {
    model::Operation plain = model::make_operation(*model::find_operation("vmrun"));
    plain.asid = asid;
    const auto in = model::vmrun_input(now, run ? *run : plain);
    Step step;
    step.stub = (cpl == 3 ? kUserStubs : kSupervisorStubs) + stub;
    qemu::VmcbSetup& vm = step.request.vmcb;
    vm.asid = static_cast<std::uint32_t>(in.asid);
    vm.tlb_control = static_cast<std::uint8_t>(tlb_control);
    // Written as the vector says; but each VMRUN of a batch has its own VMCB page, and a
    // processor ignores the clean bits of a VMCB it did not run last (15.15.3): here the
    // guest always runs in the VMCB's ASID, one of the outcomes the model allows.
    vm.clean_bits = static_cast<std::uint32_t>(run ? run->clean_bits : 0);
    vm.nested_paging = true;
    vm.ncr3 = s.npt->ncr3;
    vm.cr0 = in.cr0;
    vm.cr3 = in.cr3;
    vm.cr4 = in.cr4;
    vm.efer = in.efer;
    vm.dr6 = in.dr6;
    vm.dr7 = in.dr7;
    vm.cs_attrib = static_cast<std::uint16_t>(in.cs_attrib);
    vm.intercept_misc2 = static_cast<std::uint32_t>(in.intercept_misc2);
    vm.iopm_base = in.iopm_base;
    vm.msrpm_base = in.msrpm_base;
    vm.event_injection = static_cast<std::uint32_t>(in.event_injection);
    vm.rflags = s.regs.rflags | 2;
    vm.cpl = cpl;
    vm.rip = step.stub;
    vm.rax = rax;
    vm.rsp = cpl == 3 ? kUserStack : kSupervisorStack;
    return step;
  };
  Step flush = guest(kNopStub, 0, 0, spec::svm::tlb_control::flush_all, nullptr);
  flush.observed = false;
  plan.steps.push_back(flush);
  for (const auto& op : v.operations) {
    if (!runs(op)) {
      out.error = fmt::format("operation {}: {}", model::describe(op), kWhatRuns);
      return out;
    }
    Step step;
    switch (op.kind) {
      case model::OperationKind::access: {
        const std::uint64_t stub = op.access.kind == spec::AccessKind::read    ? kReadStub + size_slot(op.size)
                                   : op.access.kind == spec::AccessKind::write ? kWriteStub + size_slot(op.size)
                                                                               : kFetchStub;
        step = guest(stub, op.access.cpl, op.access.linear, spec::svm::tlb_control::do_nothing, nullptr);
        step.request.rbx = op.value;
        break;
      }
      case model::OperationKind::invlpg:
        step = guest(kInvlpgStub, 0, op.address, spec::svm::tlb_control::do_nothing, nullptr);
        break;
      case model::OperationKind::vmrun:
        // Its own VMCB; when VMRUN fails its checks (15.5.1) the guest stays in its ASID.
        step = guest(kNopStub, 0, 0, op.type, &op);
        if (!model::failed_vmrun_check(now, op)) asid = op.asid;
        break;
      case model::OperationKind::invlpga:
        step.request.enter_guest = false;
        step.request.host_before.push_back(qemu::invlpga_command(op.address, static_cast<std::uint32_t>(op.asid)));
        break;
      case model::OperationKind::store_entry: {
        // The guest's store, made by the L1 between two VMRUNs at the host-physical address
        // nested paging gives it then (a store changes memory, never a TLB: no flush follows).
        const auto host = now.guest_physical().host_address(op.address);
        if (!host) {
          out.error = fmt::format("operation {}: guest-physical {:#x} is not mapped by the nested page tables", model::describe(op),
                                  op.address);
          return out;
        }
        now.memory.write64(*host, op.value);
        step.request.enter_guest = false;
        step.request.host_before.push_back(qemu::write_command(*host, op.value));
        break;
      }
      default: break;  // not runs(op): refused above
    }
    step.operation = op;
    plan.steps.push_back(step);
  }
  return out;
}

}  // namespace vtspec::conformance::qemu_svm

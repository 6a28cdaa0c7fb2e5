// The qemu-svm target: AMD-V guests under nested paging (vtspec/vector/3, state `npt:`) run
// on QEMU 7.2's SVM emulation under TCG (-cpu max), the long-mode platform proxy acting as
// the L1 hypervisor (conformance/qemu_platform/svm_unit.hpp). The pipeline is
//   vector -> encode (qemu_svm_plan.*: frames, the harness's structures, one VMRUN per access)
//          -> execute (SvmUnit: the vector's VMRUNs in one command list)
//          -> decode (#VMEXIT -> model::Event, here) -> the runner compares.
// Every VMRUN has TLB_CONTROL = 1 (AMD64 APM Vol. 2 15.16.1: flush every ASID), so each
// access is a fresh walk of memory as the earlier ones left it: exactly what the model
// allows a vtspec/vector/3 guest (model/tlb/tlb.cpp). One machine per MAXPHYADDR serves every
// vector; between vectors the frames the last one wrote are cleared.
#pragma once

#include <memory>

#include "conformance/target.hpp"

namespace vtspec::conformance {

std::unique_ptr<Target> make_qemu_svm_target();

}  // namespace vtspec::conformance

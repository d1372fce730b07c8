#ifndef BUYERGUARD_CSODIUM_SHIM_H
#define BUYERGUARD_CSODIUM_SHIM_H
#include <sodium.h>
#endif

# native/install.mk - `make -C native install` (included by native/Makefile).
#
#   make -C native install [PREFIX=/usr/local] [DESTDIR=]
#
# Installs into $(DESTDIR)$(PREFIX):
#   lib/libhakmem{,-fast,-observe}.so, lib/libhakmem{,-fast}.a
#   lib/pkgconfig/hakmem.pc, hakmem-fast.pc   (pkg-config --cflags --libs hakmem)
#   include/hakmem.h
#   share/hakmem/manifest.json               (every box package, version, knob default, config hash)
#   share/doc/hakmem/README.md, knobs.md, <package>/CHANGELOG.md
# PREFIX is what the .pc files say; DESTDIR only stages (packaging). Each library also names its
# versions itself: `npx hakmem info PREFIX/lib/libhakmem.so`.

PREFIX ?= /usr/local
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
# The version of the distribution: native/package.json's (npm run release moves it).
HAKMEM_VERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' $(ROOT)/native/package.json | head -n 1)
INSTALL_DOC_PKGS := $(notdir $(wildcard $(ROOT)/packages/*)) tools

# $(1) = pc name, $(2) = library, $(3) = description
define HAKMEM_PC
prefix=$(PREFIX)
exec_prefix=$${prefix}
libdir=$${exec_prefix}/lib
includedir=$${prefix}/include

Name: $(1)
Description: $(3)
Version: $(HAKMEM_VERSION)
Libs: -L$${libdir} -l$(2)
Libs.private: -pthread
Cflags: -I$${includedir}
endef
export HAKMEM_PC_STD := $(call HAKMEM_PC,hakmem,hakmem,hakmem malloc replacement (Standard build: run-time knobs from HAKMEM_*))
export HAKMEM_PC_FAST := $(call HAKMEM_PC,hakmem-fast,hakmem-fast,hakmem malloc replacement (FAST build: every knob a constant))

.PHONY: install
install: libs include
	install -d $(INSTALL_ROOT)/lib/pkgconfig $(INSTALL_ROOT)/include $(INSTALL_ROOT)/share/hakmem $(INSTALL_ROOT)/share/doc/hakmem
	install -m 0755 $(DIST)/lib/libhakmem.so $(DIST)/lib/libhakmem-fast.so $(DIST)/lib/libhakmem-observe.so $(INSTALL_ROOT)/lib/
	install -m 0644 $(DIST)/lib/libhakmem.a $(DIST)/lib/libhakmem-fast.a $(INSTALL_ROOT)/lib/
	install -m 0644 $(ROOT)/native/include/hakmem.h $(INSTALL_ROOT)/include/
	printf '%s\n' "$$HAKMEM_PC_STD" > $(INSTALL_ROOT)/lib/pkgconfig/hakmem.pc
	printf '%s\n' "$$HAKMEM_PC_FAST" > $(INSTALL_ROOT)/lib/pkgconfig/hakmem-fast.pc
	install -m 0644 $(GEN)/manifest.json $(INSTALL_ROOT)/share/hakmem/
	install -m 0644 $(ROOT)/README.md $(ROOT)/docs/knobs.md $(INSTALL_ROOT)/share/doc/hakmem/
	@set -e; for p in $(INSTALL_DOC_PKGS); do \
	  d=$(ROOT)/packages/$$p; [ -d $$d ] || d=$(ROOT)/$$p; \
	  if [ -f $$d/CHANGELOG.md ]; then install -d $(INSTALL_ROOT)/share/doc/hakmem/$$p; \
	    install -m 0644 $$d/CHANGELOG.md $(INSTALL_ROOT)/share/doc/hakmem/$$p/; fi; \
	done
	@echo "hakmem $(HAKMEM_VERSION) installed into $(INSTALL_ROOT)"

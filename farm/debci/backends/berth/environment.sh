# shellcheck shell=sh disable=SC2034 # prefix and image are for the scripts that source this
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by create-testbed and test-package, after debci has set
# debci_suite and debci_arch: the image the testbeds of this suite and
# architecture boot, and the definition it is built from.
#
# Settings, in debci.conf (or conf.d/*.conf), all optional:
#   debci_berth_prefix=autopkgtest
#       the image is PREFIX-SUITE-ARCH in berth's image store
#       (/var/lib/machines), as autopkgtest-build-lxc names its containers,
#       and the testbeds' machines are PREFIX-RANDOM
#   debci_berth_definition=debian-CODENAME-farm
#       what `berth create --from` builds the image from: the name of a
#       definition (machines/ of berth) or the path of a definition file

# debci_berth_setting KEY DEFAULT: debci_berth_KEY from debci's
# configuration, else DEFAULT. (Read through debci-config, which reads the
# configuration as every debci program does, because test-package is called
# with autopkgtest's arguments, which debci's own option parsing refuses.)
debci_berth_setting() {
  _value=$(debci-config --values-only "berth_$1" 2>/dev/null) || _value=
  echo "${_value:-$2}"
}

# The suite's code name: berth's definitions are named after it.
debci_berth_codename() {
  case "$1" in
    unstable|sid)
      echo sid
      ;;
    oldstable|stable|testing)
      debian-distro-info "--$1"
      ;;
    *)
      echo "$1"
      ;;
  esac
}

prefix=$(debci_berth_setting prefix autopkgtest)
image="${prefix}-${debci_suite:?}-${debci_arch:?}"

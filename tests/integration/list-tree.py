# SPDX-License-Identifier: LGPL-2.1-or-later
# list-tree.py DIR: every entry below DIR, a line each: path, type and mode,
# owner, hard-link group, a digest of the contents, size, whether the file
# has holes, device numbers, symlink targets, xattrs. Equal for two trees
# that are copies (the image tests compare clones and imports with it).
import hashlib, os, stat, sys

top = sys.argv[1]
seen = {}
for root, dirs, files in os.walk(top):
    dirs.sort()
    for name in sorted(dirs + files):
        p = os.path.join(root, name)
        rel = os.path.relpath(p, top)
        st = os.lstat(p)
        line = [rel, oct(st.st_mode), "%d:%d" % (st.st_uid, st.st_gid)]
        if stat.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            line.append("link-of:" + seen.setdefault(key, rel))
            with open(p, "rb") as f:
                line.append(hashlib.sha256(f.read()).hexdigest()[:16])
            line.append("size=%d" % st.st_size)
            line.append("sparse" if st.st_blocks * 512 < st.st_size // 2 else "full")
        elif stat.S_ISLNK(st.st_mode):
            line.append("-> " + os.readlink(p))
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            line.append("dev=%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
        if not stat.S_ISLNK(st.st_mode):
            for x in sorted(os.listxattr(p, follow_symlinks=False)):
                line.append("%s=%s" % (x, os.getxattr(p, x, follow_symlinks=False).hex()))
        print(" ".join(line))

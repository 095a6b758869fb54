/* Whole-file read and crash-safe atomic replace (temp file + fsync + rename +
 * directory fsync), so a failed save never damages the existing database. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

#define KDBX_FILE_MAX ((size_t)1 << 30)

/* Test hook only; not thread-safe by design. */
static int fail_step;

void kdbx_file__fail_step(int step)
{
	fail_step = step;
}

/* Simulated failures look like a full disk, the most common real cause. */
static bool injected(int step)
{
	if (fail_step == step) {
		errno = ENOSPC;
		return true;
	}
	return false;
}

/* Reads path into out until EOF or, when max is not SIZE_MAX, until at least max bytes
 * are in; *eof says whether the whole file was read. */
static int read_upto(const char *path, size_t max, kdbx_buf *out, bool *eof)
{
	struct stat st;
	size_t start = out->len;
	int fd, rc;

	if (path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "no path given");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kdbx_error__set(errno == ENOENT ? KDBX_ENOTFOUND : KDBX_EIO, "cannot open %s: %s",
		                       path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = kdbx_error__set(KDBX_EIO, "%s is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > KDBX_FILE_MAX) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s is larger than 1 GiB", path);
		goto out;
	}
	size_t want = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if ((rc = kdbx_buf_reserve(out, want < max ? want : max)) != KDBX_OK)
		goto out;
	*eof = false;
	for (;;) {
		ssize_t r;
		if (out->cap - out->len == 0 && (rc = kdbx_buf_reserve(out, 65536)) != KDBX_OK)
			goto out;
		r = read(fd, out->data + out->len, out->cap - out->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = kdbx_error__set(KDBX_EIO, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0) {
			*eof = true;
			break;
		}
		out->len += (size_t)r;
		if (max != SIZE_MAX && out->len - start >= max)
			break;
		if (out->len - start > KDBX_FILE_MAX) {
			rc = kdbx_error__set(KDBX_EUNSUPPORTED, "%s is larger than 1 GiB", path);
			goto out;
		}
	}
	rc = KDBX_OK;
out:
	if (rc != KDBX_OK) {
		if (out->secure && out->data != NULL)
			kdbx_memzero(out->data + start, out->len - start);
		out->len = start;
	}
	close(fd);
	return rc;
}

int kdbx_file_read(const char *path, kdbx_buf *out)
{
	bool eof;
	return read_upto(path, SIZE_MAX, out, &eof);
}

int kdbx_file_read_prefix(const char *path, size_t max, kdbx_buf *out, bool *whole)
{
	return read_upto(path, max, out, whole);
}

static int write_all(int fd, const uint8_t *data, size_t n)
{
	while (n > 0) {
		ssize_t w;
		if (injected(2))
			return -1;
		w = write(fd, data, n > (size_t)1 << 30 ? (size_t)1 << 30 : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Splits path into its directory and base name (both malloc'ed). */
static int split_path(const char *path, char **dir, char **base)
{
	char *a = kdbx_strdup(path), *b = kdbx_strdup(path);

	*dir = *base = NULL;
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	*dir = kdbx_strdup(dirname(a));
	*base = kdbx_strdup(basename(b));
	free(a);
	free(b);
	if (*dir == NULL || *base == NULL) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	return KDBX_OK;
}

int kdbx_file_write_atomic(const char *path, const uint8_t *data, size_t n)
{
	char *dir = NULL, *base = NULL, *tmp = NULL, *real = NULL;
	const char *target = path;
	struct stat st;
	mode_t mode = 0600;
	int fd = -1, dfd = -1, rc;
	size_t tlen;

	if (path == NULL || *path == '\0' || (data == NULL && n > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_file_write_atomic: invalid argument");
	/* Saving through a symlink replaces the file it points to, not the link. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath(path, NULL);
		if (real != NULL)
			target = real;
	}
	if (stat(target, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			rc = kdbx_error__set(KDBX_EIO, "%s is a directory", path);
			goto out;
		}
		mode = st.st_mode & 07777;
	}
	if ((rc = split_path(target, &dir, &base)) != KDBX_OK)
		goto out;
	tlen = strlen(dir) + strlen(base) + 16;
	tmp = malloc(tlen);
	if (tmp == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);

	fd = injected(1) ? -1 : mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		tmp[0] = '\0'; /* nothing to unlink */
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, n) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (injected(3) || fsync(fd) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot sync %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = kdbx_error__set(KDBX_EIO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (injected(4) || rename(tmp, target) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0'; /* renamed: the temp name no longer exists */
	/* Make the rename itself durable. The new content is already in place, so a
	 * failure here is reported but cannot restore the old file. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (injected(5) || dfd < 0 || fsync(dfd) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot sync directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = KDBX_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp != NULL && tmp[0] != '\0')
		unlink(tmp);
	free(tmp);
	free(dir);
	free(base);
	free(real);
	return rc;
}

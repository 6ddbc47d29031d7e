//! The few system calls the kernel makes through libc. Every `unsafe` block of
//! the crate is here, each with the reason it is sound.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Takes an exclusive lock on `file` without waiting; false when another
/// process holds it. The lock goes with the process, whatever ends it.
pub fn try_lock(file: &File) -> bool {
    // SAFETY: flock on a descriptor we own; no memory is touched.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// A pipe: the end to read from and the end to write to.
pub fn pipe() -> io::Result<(File, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: pipe2 writes two descriptors into the array, which we own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Points descriptor `target` (1 or 2) at `to` and returns a file for what
/// `target` pointed at before, so output can still reach it.
pub fn redirect(target: RawFd, to: &OwnedFd) -> io::Result<File> {
    // SAFETY: dup only creates a new descriptor; a failure is reported as -1.
    let saved = unsafe { libc::dup(target) };
    if saved < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `saved` is a fresh descriptor that nothing else owns.
    let saved = unsafe { File::from_raw_fd(saved) };
    // SAFETY: dup2 atomically replaces `target`; `to` stays open, owned by the caller.
    if unsafe { libc::dup2(to.as_raw_fd(), target) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(saved)
}

/// Which of `fds` can be read without blocking, waiting up to `timeout_ms`
/// (-1: until one can).
pub fn readable<const N: usize>(fds: [RawFd; N], timeout_ms: i32) -> io::Result<[bool; N]> {
    let mut polled = fds.map(|fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
    loop {
        // SAFETY: the array lives across the call and its length is passed with it.
        let n = unsafe { libc::poll(polled.as_mut_ptr(), N as libc::nfds_t, timeout_ms) };
        if n >= 0 {
            return Ok(polled.map(|p| p.revents & (libc::POLLIN | libc::POLLHUP) != 0));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_pipe_carries_bytes_and_reports_readable() {
        let (mut r, w) = pipe().unwrap();
        assert_eq!(readable([r.as_raw_fd()], 0).unwrap(), [false]);
        let mut w = File::from(w);
        w.write_all(b"hi\n").unwrap();
        assert_eq!(readable([r.as_raw_fd()], 0).unwrap(), [true]);
        let mut buf = [0u8; 3];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi\n");
    }
}

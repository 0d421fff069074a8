package io.berth.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Passes every call to another driver; tests override the calls they want to hook or hide. */
public class ForwardingStorageDriver implements StorageDriver {
  private final StorageDriver delegate;

  public ForwardingStorageDriver(StorageDriver delegate) {
    this.delegate = delegate;
  }

  @Override
  public Optional<Long> size(String path) throws IOException {
    return delegate.size(path);
  }

  @Override
  public boolean exists(String path) throws IOException {
    return delegate.exists(path);
  }

  @Override
  public byte[] getContent(String path) throws IOException {
    return delegate.getContent(path);
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    delegate.putContent(path, content);
  }

  @Override
  public SeekableByteChannel reader(String path, long offset) throws IOException {
    return delegate.reader(path, offset);
  }

  @Override
  public FileWriter appender(String path) throws IOException {
    return delegate.appender(path);
  }

  @Override
  public List<String> list(String directory) throws IOException {
    return delegate.list(directory);
  }

  @Override
  public void move(String source, String destination) throws IOException {
    delegate.move(source, destination);
  }

  @Override
  public void move(String source, String destination, long size) throws IOException {
    delegate.move(source, destination, size);
  }

  @Override
  public void putScratch(String path, byte[] content) throws IOException {
    delegate.putScratch(path, content);
  }

  @Override
  public void deleteScratch(String path) throws IOException {
    delegate.deleteScratch(path);
  }

  @Override
  public void delete(String path) throws IOException {
    delegate.delete(path);
  }

  @Override
  public Optional<URI> directUrl(String path) {
    return delegate.directUrl(path);
  }

  @Override
  public Optional<Path> localFile(String path) {
    return delegate.localFile(path);
  }
}

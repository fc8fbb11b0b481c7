# pimops as a container job: build and pack in one stage, install only the packed tarball in the next,
# so the image holds what runs (compiled code, SQL, docs) and none of TypeScript, tsx or vitest.
# test/package.test.ts runs this file's final-stage RUN lines outside Docker (no engine on the build
# machines), with /usr/local and /pkg moved into a temporary folder: keep each step a plain shell line.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm pack --pack-destination /pkg

FROM node:20-bookworm-slim
ENV NODE_ENV=production
COPY --from=build /pkg/ /pkg/
# The package's npm-shrinkwrap.json pins every dependency: npm ci installs exactly the tree the tests
# ran on (npm install -g would resolve ranges afresh). No scripts: nothing at run time needs a build.
RUN mkdir -p /usr/local/lib/node_modules/pimops
RUN tar -xzf /pkg/pimops-*.tgz --strip-components=1 -C /usr/local/lib/node_modules/pimops
RUN cd /usr/local/lib/node_modules/pimops && npm ci --omit=dev --ignore-scripts --no-audit --no-fund
RUN ln -s ../lib/node_modules/pimops/bin/pimops.js /usr/local/bin/pimops
RUN rm -rf /pkg
RUN useradd --system --create-home --uid 10001 pimops && mkdir -p /data && chown pimops:pimops /data
USER pimops
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["pimops"]
CMD ["--help"]

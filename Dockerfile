# A read replica of the yakkan site: the knowledge base is built once (here, from corpus/) and
# served immutable; run as many replicas of this image as reads need (docs/scaling.md).
#   docker build -t yakkan . && docker run -p 8001:8001 yakkan
# Health check for a load balancer: GET /-/yakkan/health (200 + build fingerprint, else 503).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY extract/ extract/
COPY versions/ versions/
COPY datasette/ datasette/
COPY corpus/ corpus/
RUN pip install --no-cache-dir -e ".[semantic]" \
 && yakkan build --db /app/yakkan.db -q
EXPOSE 8001
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8001/-/yakkan/health', timeout=3)"
CMD ["yakkan", "serve", "--no-build", "--db", "/app/yakkan.db", "--host", "0.0.0.0", "--port", "8001"]
